/// The column names of a result and their lookup table, shared by all its rows.
final class ColumnLayout: Sendable {
  let names: [String]
  /// Column name → first index with that name.
  let indexByName: [String: Int]

  init(names: [String]) {
    self.names = names
    var index: [String: Int] = [:]
    for (position, name) in names.enumerated() where index[name] == nil {
      index[name] = position
    }
    self.indexByName = index
  }
}

/// The complete result of one statement, copied out of libpq (text format) so it
/// can outlive the connection and cross tasks.
///
/// A random-access collection of `PostgresRow`s, indexed from 0.
public struct PostgresResult: Sendable, RandomAccessCollection {
  /// Column names in result order (libpq `PQfname`); empty for statements that
  /// return no rows (INSERT without RETURNING, DDL, ...).
  public let columns: [String]
  /// The rows, in the order the server sent them.
  public var rows: [PostgresRow]
  /// Rows affected by INSERT/UPDATE/DELETE/MERGE, rows returned by SELECT, or
  /// copied by COPY, as reported by libpq `PQcmdTuples`; 0 for other commands.
  public let affectedRows: Int
  /// The command tag (libpq `PQcmdStatus`), e.g. `"INSERT 0 1"`, `"SELECT 3"`, `"CREATE TABLE"`.
  public let commandTag: String

  /// Creates a result; normally only the connection does this.
  init(columns: [String], rows: [PostgresRow], affectedRows: Int, commandTag: String) {
    self.columns = columns
    self.rows = rows
    self.affectedRows = affectedRows
    self.commandTag = commandTag
  }

  /// 0.
  public var startIndex: Int { rows.startIndex }
  /// The number of rows.
  public var endIndex: Int { rows.endIndex }
  /// The row at `position` (0-based). Traps if out of bounds.
  public subscript(position: Int) -> PostgresRow { rows[position] }
  /// The number of rows.
  public var count: Int { rows.count }
}

/// One result row: the text value of each column, `nil` for SQL NULL.
public struct PostgresRow: Sendable {
  let layout: ColumnLayout
  /// Raw text values in column order; `nil` is SQL NULL.
  public let values: [String?]

  init(layout: ColumnLayout, values: [String?]) {
    self.layout = layout
    self.values = values
  }

  /// Column names in result order.
  public var columns: [String] { layout.names }

  /// The raw text value of the named column, `nil` for SQL NULL — and also `nil`
  /// when there is no such column (use `decode` to get an error instead).
  /// With duplicate column names, the first one wins.
  public subscript(column: String) -> String? {
    guard let index = layout.indexByName[column] else { return nil }
    return values[index]
  }

  /// The raw text value at a 0-based column index, `nil` for SQL NULL. Traps if out of bounds.
  public subscript(index: Int) -> String? {
    values[index]
  }

  /// Decodes the named column as `T`.
  /// - Throws: `PostgresError` of kind `.decoding` (with `column` set and the raw
  ///   value in the message) if the column does not exist, is NULL, or its text
  ///   is not a valid `T`.
  public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self)
    throws(PostgresError) -> T
  {
    guard let value = try decodeIfPresent(column, as: type) else {
      throw .decoding("column \"\(column)\" is NULL but \(T.self) is not optional", column: column)
    }
    return value
  }

  /// Decodes the named column as `T`, returning `nil` for SQL NULL. Chosen when
  /// the requested or inferred type is optional: `decode("c", as: Int?.self)` or
  /// `let c: Int? = try row.decode("c")`.
  /// - Throws: `PostgresError` of kind `.decoding` if the column does not exist
  ///   or its text is not a valid `T`.
  public func decode<T: PostgresDecodable>(_ column: String, as type: T?.Type = T?.self)
    throws(PostgresError)
    -> T?
  {
    try decodeIfPresent(column, as: T.self)
  }

  /// Decodes the named column as `T`, returning `nil` for SQL NULL.
  /// - Throws: `PostgresError` of kind `.decoding` if the column does not exist
  ///   or its text is not a valid `T`.
  public func decodeIfPresent<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self)
    throws(PostgresError)
    -> T?
  {
    guard let index = layout.indexByName[column] else {
      let known = layout.names.map { "\"\($0)\"" }.joined(separator: ", ")
      throw .decoding("no column \"\(column)\" in the result (columns: \(known))", column: column)
    }
    guard let text = values[index] else { return nil }
    do {
      return try T(postgresText: text)
    } catch {
      throw .decoding(
        "cannot decode column \"\(column)\" value \(Self.quoted(text)) as \(T.self): \(error.message)",
        column: column)
    }
  }

  /// The raw value in quotes, shortened to 100 characters for error messages.
  private static func quoted(_ text: String) -> String {
    let limit = 100
    if text.count <= limit { return "\"\(text)\"" }
    return "\"\(text.prefix(limit))…\" (\(text.utf8.count) bytes)"
  }
}
