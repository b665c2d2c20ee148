/// Named SQLSTATE error codes, to compare with `PostgresError.sqlState`.
///
/// Codes and names from the PostgreSQL docs, Appendix A "PostgreSQL Error Codes"
/// (condition names are the camel-cased PL/pgSQL condition names).
public struct SQLState: Sendable {
  private init() {}

  // Class 22 — Data Exception
  /// 22001 string_data_right_truncation (value too long for `varchar(n)`).
  public static let stringDataRightTruncation = "22001"
  /// 22003 numeric_value_out_of_range.
  public static let numericValueOutOfRange = "22003"
  /// 22007 invalid_datetime_format.
  public static let invalidDatetimeFormat = "22007"
  /// 22008 datetime_field_overflow.
  public static let datetimeFieldOverflow = "22008"
  /// 22021 character_not_in_repertoire (invalid byte sequence for the encoding).
  public static let characterNotInRepertoire = "22021"
  /// 22P02 invalid_text_representation (e.g. `'abc'::int`).
  public static let invalidTextRepresentation = "22P02"
  /// 22P05 untranslatable_character (e.g. `\u0000` in `jsonb`).
  public static let untranslatableCharacter = "22P05"

  // Class 23 — Integrity Constraint Violation
  /// 23502 not_null_violation.
  public static let notNullViolation = "23502"
  /// 23503 foreign_key_violation.
  public static let foreignKeyViolation = "23503"
  /// 23505 unique_violation.
  public static let uniqueViolation = "23505"
  /// 23514 check_violation.
  public static let checkViolation = "23514"
  /// 23P01 exclusion_violation.
  public static let exclusionViolation = "23P01"

  // Class 25 — Invalid Transaction State
  /// 25P02 in_failed_sql_transaction (statement sent after an error inside a transaction).
  public static let inFailedSQLTransaction = "25P02"

  // Class 3D — Invalid Catalog Name
  /// 3D000 invalid_catalog_name (database does not exist).
  public static let invalidCatalogName = "3D000"

  // Class 40 — Transaction Rollback
  /// 40001 serialization_failure: retry the whole transaction.
  public static let serializationFailure = "40001"
  /// 40P01 deadlock_detected: retry the whole transaction.
  public static let deadlockDetected = "40P01"

  // Class 42 — Syntax Error or Access Rule Violation
  /// 42601 syntax_error.
  public static let syntaxError = "42601"
  /// 42501 insufficient_privilege.
  public static let insufficientPrivilege = "42501"
  /// 42703 undefined_column.
  public static let undefinedColumn = "42703"
  /// 42P01 undefined_table.
  public static let undefinedTable = "42P01"
  /// 42704 undefined_object.
  public static let undefinedObject = "42704"
  /// 42P04 duplicate_database.
  public static let duplicateDatabase = "42P04"
  /// 42P07 duplicate_table.
  public static let duplicateTable = "42P07"
  /// 42710 duplicate_object.
  public static let duplicateObject = "42710"

  // Class 55 — Object Not In Prerequisite State
  /// 55006 object_in_use (e.g. DROP DATABASE while others are connected).
  public static let objectInUse = "55006"
  /// 55P03 lock_not_available (`NOWAIT` / `lock_timeout`).
  public static let lockNotAvailable = "55P03"

  // Class 57 — Operator Intervention
  /// 57014 query_canceled (also `statement_timeout`, and a COPY aborted by the client).
  public static let queryCanceled = "57014"
  /// 57P01 admin_shutdown.
  public static let adminShutdown = "57P01"
}
