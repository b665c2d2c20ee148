/// An error from the `Postgres` module, carrying everything PostgreSQL reported.
///
/// Server errors are filled from libpq's `PQresultErrorField` (PostgreSQL docs,
/// libpq §34.3.2 "Main Functions: PQresultErrorField", and the protocol's
/// §55.8 "Error and Notice Message Fields"). Errors raised by this module itself
/// (decoding, misuse) have no `sqlState`.
///
/// `description` is a short human sentence: the primary message plus the
/// detail. It never contains the SQL text or the parameter values sent (the
/// server's own detail can quote a value, e.g. the duplicate key of a unique
/// violation). `debugDescription` lists every field.
public struct PostgresError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
  /// The broad category of a `PostgresError`. A struct with static members rather
  /// than an enum so categories can be added without breaking `switch`es.
  public struct Kind: Hashable, Sendable, CustomStringConvertible {
    private let name: String
    private init(_ name: String) { self.name = name }

    /// Connecting failed, or the connection broke (libpq `PQstatus` is
    /// `CONNECTION_BAD`). The message is libpq's `PQerrorMessage`; the connection
    /// is unusable afterwards.
    public static let connection = Kind("connection")
    /// The server rejected a statement; `sqlState` and the other fields are set.
    public static let server = Kind("server")
    /// A result value could not be converted to the requested Swift type
    /// (NULL for a non-optional type, unparsable text, unknown column).
    public static let decoding = Kind("decoding")
    /// The API was misused: NUL byte in a parameter, nested transaction,
    /// connection already closed, a non-COPY statement given to `copyFrom`, ...
    public static let usage = Kind("usage")
    /// The COPY data stream failed on the client side (libpq `PQputCopyData` /
    /// `PQputCopyEnd` returned -1). Errors the server raises during COPY are `.server`.
    public static let copy = Kind("copy")

    /// The category's name, e.g. `"server"`.
    public var description: String { name }
  }

  /// The error's category.
  public let kind: Kind
  /// The five-character SQLSTATE code (PostgreSQL docs, Appendix A), e.g. `"23505"`;
  /// compare with the constants in `SQLState`. `nil` unless the server reported it.
  public let sqlState: String?
  /// The primary message (one line, no trailing period, per the PostgreSQL error
  /// style guide), or libpq's/this module's message for non-server errors.
  public let message: String
  /// Optional secondary message with more detail (may quote data, e.g. a key value).
  public let detail: String?
  /// Optional suggestion what to do about the problem.
  public let hint: String?
  /// Name of the constraint that was violated, if any (e.g. on 23505, 23503, 23514).
  public let constraint: String?
  /// Severity as reported by the server, never localized when available
  /// (`ERROR`, `FATAL`, `PANIC`); `nil` for non-server errors.
  public let severity: String?
  /// Table the error is associated with; for `.decoding` errors, `nil`.
  public let table: String?
  /// Column the error is associated with. For `.decoding` errors: the result column name.
  public let column: String?
  /// Schema of the object the error is associated with.
  public let schema: String?
  /// Data type the error is associated with.
  public let dataType: String?
  /// The server's context (call stack / COPY line), which can quote data; only
  /// shown in `debugDescription`.
  public let context: String?
  /// 1-based character position in the statement text where the error occurred.
  public let statementPosition: Int?

  /// Creates an error; normally only this module does that, but tests and
  /// fakes of other modules may build one too. All fields but `kind` and
  /// `message` default to `nil`.
  public init(
    kind: Kind, message: String, sqlState: String? = nil, detail: String? = nil,
    hint: String? = nil,
    constraint: String? = nil, severity: String? = nil, table: String? = nil, column: String? = nil,
    schema: String? = nil, dataType: String? = nil, context: String? = nil,
    statementPosition: Int? = nil
  ) {
    self.kind = kind
    self.message = message
    self.sqlState = sqlState
    self.detail = detail
    self.hint = hint
    self.constraint = constraint
    self.severity = severity
    self.table = table
    self.column = column
    self.schema = schema
    self.dataType = dataType
    self.context = context
    self.statementPosition = statementPosition
  }

  /// A short human sentence: `message`, then `detail` if any. Never the SQL text or parameters.
  public var description: String {
    guard let detail, !detail.isEmpty else { return message }
    return "\(message): \(detail)"
  }

  /// Every field, for logs and debugging: kind, SQLSTATE, severity, message,
  /// detail, hint, context, schema/table/column/type/constraint, position.
  public var debugDescription: String {
    var parts = ["kind: \(kind)"]
    func add(_ name: String, _ value: String?) {
      if let value { parts.append("\(name): \(value)") }
    }
    add("sqlState", sqlState)
    add("severity", severity)
    add("message", message)
    add("detail", detail)
    add("hint", hint)
    add("context", context)
    add("schema", schema)
    add("table", table)
    add("column", column)
    add("dataType", dataType)
    add("constraint", constraint)
    add("position", statementPosition.map(String.init))
    return "PostgresError(" + parts.joined(separator: ", ") + ")"
  }
}

extension PostgresError {
  /// A `.usage` error with the given message.
  static func usage(_ message: String) -> PostgresError {
    PostgresError(kind: .usage, message: message)
  }

  /// A `.decoding` error with the given message, optionally naming the column.
  static func decoding(_ message: String, column: String? = nil) -> PostgresError {
    PostgresError(kind: .decoding, message: message, column: column)
  }
}
