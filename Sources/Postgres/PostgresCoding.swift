#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// A Swift value that can be sent as a statement parameter.
///
/// Parameters travel in PostgreSQL's *text* format (libpq §34.3.1
/// `PQexecParams`, `paramFormats` = 0): the server parses `postgresText` with the
/// input function of the parameter's type, which it infers from the statement
/// (add a cast such as `$1::bigint` where it cannot).
public protocol PostgresEncodable: Sendable {
  /// The value's text representation, as accepted by the type's input function.
  /// Must not contain a NUL byte (PostgreSQL text cannot hold one); sending one
  /// throws a `.usage` error.
  var postgresText: String { get }
}

/// A Swift value that can be built from a result column's text representation.
///
/// Results are read in text format (libpq `PQexecParams` with `resultFormat` = 0);
/// the connection sets `DateStyle` ISO, `TimeZone` UTC and `client_encoding` UTF8,
/// so the text is predictable.
public protocol PostgresDecodable {
  /// Parses PostgreSQL's text output for a non-NULL value.
  /// - Throws: `PostgresError` of kind `.decoding` if the text is not a valid value.
  ///   `PostgresRow.decode` adds the column name and raw value to the message.
  init(postgresText: String) throws(PostgresError)
}

// MARK: - String

extension String: PostgresEncodable, PostgresDecodable {
  /// The string itself (UTF-8). Must not contain NUL.
  public var postgresText: String { self }
  /// The text as is; never throws.
  public init(postgresText: String) throws(PostgresError) { self = postgresText }
}

// MARK: - Integers

/// Parses a base-10 integer the way PostgreSQL prints it (optional leading `-`).
private func parseInteger<T: FixedWidthInteger>(_ text: String, as _: T.Type) throws(PostgresError)
  -> T
{
  guard let value = T(text, radix: 10) else {
    throw .decoding(
      "not a valid \(T.self) (expected a base-10 integer in range \(T.min)...\(T.max))")
  }
  return value
}

extension Int: PostgresEncodable, PostgresDecodable {
  /// Base-10 digits, e.g. `"-42"`; for `integer`/`bigint` columns.
  public var postgresText: String { String(self) }
  /// Parses base-10 digits (output of `smallint`, `integer`, `bigint`).
  /// - Throws: `.decoding` if not an integer or out of range.
  public init(postgresText: String) throws(PostgresError) {
    self = try parseInteger(postgresText, as: Int.self)
  }
}

extension Int16: PostgresEncodable, PostgresDecodable {
  /// Base-10 digits; for `smallint` columns.
  public var postgresText: String { String(self) }
  /// Parses base-10 digits. - Throws: `.decoding` if not an integer or out of range.
  public init(postgresText: String) throws(PostgresError) {
    self = try parseInteger(postgresText, as: Int16.self)
  }
}

extension Int32: PostgresEncodable, PostgresDecodable {
  /// Base-10 digits; for `integer` columns.
  public var postgresText: String { String(self) }
  /// Parses base-10 digits. - Throws: `.decoding` if not an integer or out of range.
  public init(postgresText: String) throws(PostgresError) {
    self = try parseInteger(postgresText, as: Int32.self)
  }
}

extension Int64: PostgresEncodable, PostgresDecodable {
  /// Base-10 digits; for `bigint` columns.
  public var postgresText: String { String(self) }
  /// Parses base-10 digits. - Throws: `.decoding` if not an integer or out of range.
  public init(postgresText: String) throws(PostgresError) {
    self = try parseInteger(postgresText, as: Int64.self)
  }
}

// MARK: - Bool

extension Bool: PostgresEncodable, PostgresDecodable {
  /// `"t"` or `"f"`, the `boolean` output format (PostgreSQL docs §8.6 "Boolean Type").
  public var postgresText: String { self ? "t" : "f" }
  /// Accepts `t`/`f` (PostgreSQL's output) and `true`/`false`.
  /// - Throws: `.decoding` for anything else.
  public init(postgresText: String) throws(PostgresError) {
    switch postgresText {
    case "t", "true": self = true
    case "f", "false": self = false
    default: throw .decoding("not a valid Bool (expected \"t\" or \"f\")")
    }
  }
}

// MARK: - Double

extension Double: PostgresEncodable, PostgresDecodable {
  /// Shortest text that round-trips exactly; `NaN`, `Infinity`, `-Infinity` for
  /// the special values (PostgreSQL docs §8.1.3 "Floating-Point Types").
  public var postgresText: String {
    if isNaN { return "NaN" }
    if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
    return description
  }
  /// Parses `double precision`/`real`/`numeric` output, including `NaN` and `±Infinity`.
  /// `numeric` values beyond Double precision are rounded.
  /// - Throws: `.decoding` if not a number.
  public init(postgresText: String) throws(PostgresError) {
    switch postgresText {
    case "NaN": self = .nan
    case "Infinity": self = .infinity
    case "-Infinity": self = -.infinity
    default:
      guard let value = Double(postgresText), value.isFinite else {
        throw .decoding("not a valid Double")
      }
      self = value
    }
  }
}

// MARK: - UUID

extension UUID: PostgresEncodable, PostgresDecodable {
  /// Lower-case hyphenated form, the `uuid` output format (PostgreSQL docs §8.12).
  public var postgresText: String { uuidString.lowercased() }
  /// Parses the hyphenated `uuid` output. - Throws: `.decoding` if not a UUID.
  public init(postgresText: String) throws(PostgresError) {
    guard let value = UUID(uuidString: postgresText) else { throw .decoding("not a valid UUID") }
    self = value
  }
}

// MARK: - Date

extension Date: PostgresEncodable, PostgresDecodable {
  /// The instant as `timestamptz` text in UTC, rounded to the nearest microsecond
  /// (see `PostgresTimestamp.init(_:)`).
  public var postgresText: String { PostgresTimestamp(self).postgresText }
  /// Parses `timestamptz` output via `PostgresTimestamp`.
  /// - Throws: `.decoding` for infinity, BC dates, or malformed text.
  public init(postgresText: String) throws(PostgresError) {
    self = try PostgresTimestamp(postgresText: postgresText).date
  }
}
