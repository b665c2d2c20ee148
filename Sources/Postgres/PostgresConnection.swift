import CLibPQ

/// The isolation level of a transaction started by `PostgresConnection.withTransaction`
/// (PostgreSQL docs §13.2 "Transaction Isolation").
public enum IsolationLevel: Sendable, Hashable, CaseIterable {
  /// Each statement sees data committed before it began (PostgreSQL's default).
  case readCommitted
  /// All statements see one snapshot taken at the first statement; concurrent
  /// updates of the same rows fail with `SQLState.serializationFailure` (retry).
  case repeatableRead
  /// Like repeatable read, and the outcome equals some serial order; may fail
  /// with `SQLState.serializationFailure` (retry the whole transaction).
  case serializable

  /// The SQL spelling for `BEGIN ISOLATION LEVEL ...`.
  var sql: String {
    switch self {
    case .readCommitted: "READ COMMITTED"
    case .repeatableRead: "REPEATABLE READ"
    case .serializable: "SERIALIZABLE"
    }
  }
}

/// One libpq connection (`PGconn`), used synchronously (blocking calls).
///
/// Not thread-safe: use one connection per thread or task. It is deliberately
/// not `Sendable` (libpq §34.19 "Behavior in Threaded Programs": a `PGconn` must
/// not be used by two threads at once). The connection is closed by `close()`
/// or when the object is deinitialised.
///
/// Every session is set to `TimeZone` UTC, `DateStyle` ISO and
/// `client_encoding` UTF8 right after connecting, so text values are predictable.
/// Server notices and warnings (e.g. "table does not exist, skipping") are discarded
/// rather than printed to stderr as libpq would by default.
public final class PostgresConnection {
  /// The `PGconn *`; nil once closed.
  private var handle: OpaquePointer?
  /// Statements prepared by ``queryPrepared(_:_:)``: SQL text → server-side statement name.
  private var preparedStatements: [String: String] = [:]

  /// Connects and prepares the session.
  ///
  /// Settings not given here come from libpq itself: `PG*` environment variables
  /// (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, ...), the service file and
  /// `.pgpass` (libpq §34.1 "Database Connection Control Functions", §34.15
  /// "Environment Variables").
  ///
  /// - Parameters:
  ///   - url: a `postgres://` / `postgresql://` URI or a `key=value` conninfo
  ///     string (libpq §34.1.1 "Connection Strings"). It is passed as the first
  ///     `dbname` keyword to `PQconnectdbParams` with `expand_dbname` = 1, so it
  ///     is parsed, never interpolated.
  ///   - parameters: keyword/value pairs (libpq §34.1.2 "Parameter Key Words"),
  ///     e.g. `["host": "/run/pg", "dbname": "consult", "application_name": "consult"]`.
  ///     They override the URL and the environment; a `dbname` here is always a
  ///     plain database name. Empty values are ignored by libpq (the default applies).
  /// - Throws: `PostgresError` `.connection` with libpq's message (trailing
  ///   newline removed) if connecting or preparing the session fails, every password of `url`
  ///   and `parameters` masked in it (``ConnectionRedaction``: libpq quotes a malformed URI
  ///   whole); `.usage` if a key or value contains a NUL byte.
  public init(url: String? = nil, parameters: [String: String] = [:]) throws(PostgresError) {
    let secrets = (url.map(ConnectionRedaction.secrets(in:)) ?? []) + [parameters["password"]].compactMap { $0 }
    do {
      try connect(url: url, parameters: parameters)
    } catch {
      throw PostgresError(
        kind: error.kind, message: ConnectionRedaction.redacted(error.message, secrets: secrets),
        sqlState: error.sqlState)
    }
  }

  /// Connects and prepares the session (``init(url:parameters:)``), messages not yet redacted.
  private func connect(url: String?, parameters: [String: String]) throws(PostgresError) {
    var keywords: [String] = []
    var values: [String] = []
    if let url {
      keywords.append("dbname")
      values.append(url)
    }
    for (key, value) in parameters.sorted(by: { $0.key < $1.key }) {
      keywords.append(key)
      values.append(value)
    }
    for (key, value) in zip(keywords, values) {
      if containsNUL(key) || containsNUL(value) {
        throw .usage("connection parameter \"\(key.replacingNUL())\" contains a NUL byte")
      }
    }
    let expand: Int32 = url == nil ? 0 : 1
    let connection = withCStrings(keywords + [nil]) { keywordPointers in
      withCStrings(values + [nil]) { valuePointers in
        PQconnectdbParams(keywordPointers, valuePointers, expand)
      }
    }
    guard let connection else {
      throw PostgresError(
        kind: .connection, message: "libpq could not allocate a connection (out of memory)")
    }
    guard PQstatus(connection) == CONNECTION_OK else {
      let message = lastErrorMessage(connection, fallback: "could not connect to the server")
      PQfinish(connection)
      throw PostgresError(kind: .connection, message: message)
    }
    PQsetNoticeProcessor(connection, { _, _ in }, nil)
    handle = connection

    // Make text output predictable (PostgreSQL docs §20.11.2 "Locale and Formatting").
    if PQsetClientEncoding(connection, "UTF8") != 0 {
      let message = lastErrorMessage(connection, fallback: "could not set client_encoding to UTF8")
      close()
      throw PostgresError(kind: .connection, message: message)
    }
    do {
      try executeScript("SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, MDY'")
    } catch {
      close()
      throw PostgresError(
        kind: .connection, message: "could not prepare the session: \(error.message)",
        sqlState: error.sqlState)
    }
  }

  deinit {
    if let handle { PQfinish(handle) }
  }

  /// Closes the connection (libpq `PQfinish`). Idempotent; any later call on this
  /// object throws a `.usage` error.
  public func close() {
    if let handle {
      PQfinish(handle)
      self.handle = nil
    }
  }

  /// Whether `close()` has not been called yet (the server may still have gone away).
  public var isOpen: Bool { handle != nil }

  /// The server version as an integer, e.g. 150004 for 15.4 (libpq `PQserverVersion`); 0 if closed.
  public var serverVersion: Int {
    handle.map { Int(PQserverVersion($0)) } ?? 0
  }

  // MARK: - Statements

  /// Runs one statement with `$1`...`$n` parameters (libpq `PQexecParams`, text
  /// format parameters and results) and returns all its rows.
  ///
  /// - Parameters:
  ///   - sql: exactly one SQL statement; parameters are referenced as `$1`, `$2`, ...
  ///   - parameters: the values, in order; `nil` is SQL NULL. Their types are
  ///     inferred by the server — cast (`$1::bigint`) where it cannot.
  /// - Returns: the complete result, copied into Swift values.
  /// - Throws: `PostgresError` — `.server` with SQLSTATE and fields if the server
  ///   rejects the statement; `.connection` if the connection is broken; `.usage`
  ///   if the SQL or a parameter contains a NUL byte (naming `$n`), the connection
  ///   is closed, there are more than 65535 parameters, or the statement is a COPY
  ///   (use `copyFrom`).
  @discardableResult
  public func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = [])
    throws(PostgresError)
    -> PostgresResult
  {
    let connection = try openHandle()
    let texts = try Self.statementTexts(sql, parameters)
    let result = withCStrings(texts) { valuePointers in
      PQexecParams(connection, sql, Int32(texts.count), nil, valuePointers, nil, nil, 0)
    }
    return try consume(result, connection)
  }

  /// Checks a statement and its parameters and returns the parameters' text forms (nil = NULL).
  ///
  /// - Throws: ``PostgresError`` `.usage` for a NUL byte in the SQL or a parameter (PostgreSQL
  ///   text values cannot hold one; the message names `$n`), or more than 65535 parameters
  ///   (the protocol's limit, PostgreSQL docs §55.7 "Bind").
  private static func statementTexts(_ sql: String, _ parameters: [(any PostgresEncodable)?])
    throws(PostgresError) -> [String?]
  {
    guard !containsNUL(sql) else { throw .usage("the SQL text contains a NUL byte") }
    guard parameters.count <= 65535 else {
      throw .usage("too many parameters (\(parameters.count)); the protocol allows at most 65535")
    }
    var texts: [String?] = []
    texts.reserveCapacity(parameters.count)
    for (index, parameter) in parameters.enumerated() {
      let text = parameter?.postgresText
      if let text, containsNUL(text) {
        throw .usage(
          "parameter $\(index + 1) contains a NUL byte (0x00), which PostgreSQL text values cannot hold")
      }
      texts.append(text)
    }
    return texts
  }

  /// Runs one statement like ``query(_:_:)``, as a named prepared statement of this connection:
  /// the first call with a given SQL text prepares it (libpq `PQprepare`), later calls only bind
  /// and execute it (`PQexecPrepared`), so PostgreSQL can reuse the plan (PostgreSQL docs, SQL
  /// command PREPARE, "Notes"). For the few statements a program runs most often; the
  /// statements stay prepared until the connection closes, whatever happens to transactions.
  ///
  /// - Throws: as ``query(_:_:)``.
  @discardableResult
  public func queryPrepared(_ sql: String, _ parameters: [(any PostgresEncodable)?] = [])
    throws(PostgresError) -> PostgresResult
  {
    let connection = try openHandle()
    let texts = try Self.statementTexts(sql, parameters)
    let name: String
    if let known = preparedStatements[sql] {
      name = known
    } else {
      name = "consult_\(preparedStatements.count + 1)"
      _ = try consume(PQprepare(connection, name, sql, 0, nil), connection)
      preparedStatements[sql] = name
    }
    let result = withCStrings(texts) { valuePointers in
      PQexecPrepared(connection, name, Int32(texts.count), valuePointers, nil, nil, 0)
    }
    return try consume(result, connection)
  }

  /// Runs one statement like `query` and returns the affected-row count
  /// (libpq `PQcmdTuples`) — for INSERT/UPDATE/DELETE; 0 for commands without a count.
  /// - Throws: as `query`.
  @discardableResult
  public func execute(_ sql: String, _ parameters: [(any PostgresEncodable)?] = [])
    throws(PostgresError) -> Int
  {
    try query(sql, parameters).affectedRows
  }

  /// Runs a script of several `;`-separated statements without parameters
  /// (libpq `PQexec`, simple query protocol) — only for SQL shipped with the
  /// program, such as migration files.
  ///
  /// Unless the script contains its own BEGIN/COMMIT, all its statements run in
  /// one implicit transaction: an error rolls back the whole script (PostgreSQL
  /// docs §55.2.2.1 "Multiple Statements in a Simple Query").
  /// - Throws: `PostgresError` `.server` for the first failing statement;
  ///   `.connection`; `.usage` for a NUL byte, a closed connection, or a COPY statement.
  public func executeScript(_ sql: String) throws(PostgresError) {
    let connection = try openHandle()
    guard !containsNUL(sql) else { throw .usage("the SQL script contains a NUL byte") }
    _ = try consume(PQexec(connection, sql), connection)
  }

  /// Quotes an identifier (table, column, database name) for inclusion in SQL text
  /// with libpq `PQescapeIdentifier` (§34.3.4 "Escaping Strings for Inclusion in
  /// SQL Commands"): wraps it in double quotes and doubles embedded ones. Only for
  /// names that cannot be parameters, e.g. `CREATE DATABASE`.
  /// - Returns: the quoted identifier, e.g. `"my ""db"""`.
  /// - Throws: `.usage` if the name contains a NUL byte, is invalid in the client
  ///   encoding, or the connection is closed.
  public func quoteIdentifier(_ name: String) throws(PostgresError) -> String {
    let connection = try openHandle()
    guard !containsNUL(name) else { throw .usage("identifier contains a NUL byte") }
    guard let escaped = PQescapeIdentifier(connection, name, name.utf8.count) else {
      throw .usage(
        "cannot quote identifier: "
          + lastErrorMessage(connection, fallback: "PQescapeIdentifier failed"))
    }
    defer { PQfreemem(escaped) }
    return String(cString: escaped)
  }

  // MARK: - Transactions

  /// Runs `body` in a transaction: `BEGIN ISOLATION LEVEL ...`, `body`, `COMMIT`
  /// (PostgreSQL docs: SQL commands BEGIN, COMMIT, ROLLBACK; §13.2 for levels).
  ///
  /// If `body` throws, the transaction is rolled back and the original error is
  /// rethrown (a failing ROLLBACK, e.g. on a broken connection, is ignored).
  /// Statements inside `body` use this same connection.
  ///
  /// - Returns: what `body` returns, after a successful COMMIT.
  /// - Throws: the body's error; `PostgresError` from BEGIN/COMMIT (e.g.
  ///   `SQLState.serializationFailure` at COMMIT — retry the whole transaction);
  ///   `.usage` if a transaction is already open on this connection (nesting is not
  ///   supported), if `body` swallowed a server error so the transaction was
  ///   aborted (it is rolled back), or if `body` itself ended the transaction.
  @discardableResult
  public func withTransaction<T>(isolation: IsolationLevel = .readCommitted, _ body: () throws -> T)
    throws -> T
  {
    let connection = try openHandle()
    guard PQtransactionStatus(connection) == PQTRANS_IDLE else {
      throw PostgresError.usage(
        "withTransaction called while a transaction is already open on this connection (nesting is not supported)"
      )
    }
    try executeScript("BEGIN ISOLATION LEVEL \(isolation.sql)")
    let value: T
    do {
      value = try body()
    } catch {
      rollbackQuietly()
      throw error
    }
    let status = PQtransactionStatus(connection)
    if status == PQTRANS_INTRANS {
      try executeScript("COMMIT")
      return value
    } else if status == PQTRANS_INERROR {
      rollbackQuietly()
      throw PostgresError.usage(
        "the transaction was aborted by a statement error that the body caught and did not rethrow; rolled back"
      )
    } else if status == PQTRANS_IDLE {
      throw PostgresError.usage(
        "the body of withTransaction ended the transaction itself (COMMIT or ROLLBACK)")
    } else {
      throw PostgresError(
        kind: .connection,
        message: lastErrorMessage(connection, fallback: "connection lost during the transaction"))
    }
  }

  /// ROLLBACK, ignoring any failure (the connection may be broken).
  private func rollbackQuietly() {
    guard let handle, PQtransactionStatus(handle) != PQTRANS_IDLE else { return }
    if let result = PQexec(handle, "ROLLBACK") { PQclear(result) }
    drainResults(handle)
  }

  // MARK: - COPY

  /// Runs `COPY ... FROM STDIN` in text format and streams the rows `body` writes
  /// (libpq §34.10 "Functions Associated with the COPY Command"; PostgreSQL docs,
  /// SQL command COPY, "Text Format").
  ///
  /// - Parameters:
  ///   - sql: the COPY statement, e.g. `COPY t (a, b) FROM STDIN` (text format,
  ///     the default; tab delimiter, `\N` for NULL — do not change them).
  ///   - body: writes the rows with `PostgresCopyWriter.writeRow`.
  /// - Returns: the number of rows PostgreSQL reports copied (`PQcmdTuples`).
  /// - Throws: if `body` throws, the COPY is aborted with `PQputCopyEnd(errormsg)`
  ///   (nothing is stored) and the body's error is rethrown. Errors the server
  ///   raises (bad data, constraint violations) are `PostgresError` `.server`
  ///   with SQLSTATE; client-side stream failures are `.copy`; `.usage` if `sql`
  ///   is not a `COPY ... FROM STDIN` or the connection is closed.
  @discardableResult
  public func copyFrom(_ sql: String, _ body: (inout PostgresCopyWriter) throws -> Void) throws
    -> Int
  {
    let connection = try openHandle()
    guard !containsNUL(sql) else { throw PostgresError.usage("the SQL text contains a NUL byte") }
    guard let start = PQexecParams(connection, sql, 0, nil, nil, nil, nil, 0) else {
      throw missingResultError(connection)
    }
    if PQresultStatus(start) != PGRES_COPY_IN {
      let result = try consume(start, connection)
      throw PostgresError.usage(
        "copyFrom needs a COPY ... FROM STDIN statement, but the statement completed as \"\(result.commandTag)\""
      )
    }
    PQclear(start)

    var writer = PostgresCopyWriter(connection: connection)
    do {
      try body(&writer)
      try writer.flush()
    } catch {
      writer.finish()
      var reason = "COPY aborted by the client: \(String(describing: error))"
      reason = String(reason.replacingNUL().prefix(200))
      _ = PQputCopyEnd(connection, reason)
      drainResults(connection)
      throw error
    }
    writer.finish()
    guard PQputCopyEnd(connection, nil) == 1 else {
      let message = lastErrorMessage(connection, fallback: "PQputCopyEnd failed")
      drainResults(connection)
      throw PostgresError(kind: .copy, message: message)
    }
    var failure: PostgresError?
    var copied = 0
    while let result = PQgetResult(connection) {
      defer { PQclear(result) }
      let status = PQresultStatus(result)
      if status == PGRES_COMMAND_OK {
        copied = affectedRows(result)
      } else if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
        failure =
          failure ?? PostgresError(kind: .copy, message: "unexpected COPY state after PQputCopyEnd")
        break
      } else if failure == nil {
        failure = error(from: result, connection)
      }
    }
    if let failure { throw failure }
    return copied
  }

  // MARK: - libpq plumbing

  /// The live `PGconn *`, or a `.usage` error once closed.
  private func openHandle() throws(PostgresError) -> OpaquePointer {
    guard let handle else { throw .usage("the connection is closed") }
    return handle
  }

  /// Converts a `PGresult *` from `PQexec`/`PQexecParams` into a `PostgresResult`
  /// or error, clearing it (and any COPY state it started).
  private func consume(_ result: OpaquePointer?, _ connection: OpaquePointer) throws(PostgresError)
    -> PostgresResult
  {
    guard let result else { throw missingResultError(connection) }
    defer { PQclear(result) }
    let status = PQresultStatus(result)
    if status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY {
      return read(result)
    }
    if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
      if status == PGRES_COPY_IN {
        _ = PQputCopyEnd(connection, "COPY FROM STDIN is only supported via copyFrom")
      }
      drainResults(connection)
      throw .usage("COPY statements with STDIN/STDOUT are only supported via copyFrom")
    }
    throw error(from: result, connection)
  }

  /// Reads every column name and value of a successful result.
  private func read(_ result: OpaquePointer) -> PostgresResult {
    let fieldCount = PQnfields(result)
    let rowCount = PQntuples(result)
    let names = (0..<fieldCount).map { String(cString: PQfname(result, $0)) }
    let layout = ColumnLayout(names: names)
    var rows: [PostgresRow] = []
    rows.reserveCapacity(Int(rowCount))
    for row in 0..<rowCount {
      var values: [String?] = []
      values.reserveCapacity(Int(fieldCount))
      for column in 0..<fieldCount {
        if PQgetisnull(result, row, column) != 0 {
          values.append(nil)
        } else {
          let bytes = UnsafeRawBufferPointer(
            start: PQgetvalue(result, row, column), count: Int(PQgetlength(result, row, column)))
          values.append(String(decoding: bytes, as: UTF8.self))
        }
      }
      rows.append(PostgresRow(layout: layout, values: values))
    }
    return PostgresResult(
      columns: names, rows: rows, affectedRows: affectedRows(result),
      commandTag: PQcmdStatus(result).map { String(cString: $0) } ?? "")
  }

  /// `PQcmdTuples` as an Int (0 when empty).
  private func affectedRows(_ result: OpaquePointer) -> Int {
    guard let text = PQcmdTuples(result) else { return 0 }
    return Int(String(cString: text)) ?? 0
  }

  /// The error for a failed result, from its `PQresultErrorField`s (libpq §34.3.2).
  /// `.connection` if the connection is now broken, else `.server`.
  private func error(from result: OpaquePointer, _ connection: OpaquePointer) -> PostgresError {
    func field(_ code: Int32) -> String? {
      PQresultErrorField(result, code).map { String(cString: $0) }
    }
    let message =
      field(consult_pq_diag_message_primary())
      ?? PQresultErrorMessage(result).map { String(cString: $0).trimmingTrailingWhitespace() }
      .flatMap {
        $0.isEmpty ? nil : $0
      }
      ?? lastErrorMessage(connection, fallback: "unknown error")
    let kind: PostgresError.Kind = PQstatus(connection) == CONNECTION_BAD ? .connection : .server
    return PostgresError(
      kind: kind, message: message,
      sqlState: field(consult_pq_diag_sqlstate()),
      detail: field(consult_pq_diag_message_detail()),
      hint: field(consult_pq_diag_message_hint()),
      constraint: field(consult_pq_diag_constraint_name()),
      severity: field(consult_pq_diag_severity_nonlocalized()) ?? field(consult_pq_diag_severity()),
      table: field(consult_pq_diag_table_name()),
      column: field(consult_pq_diag_column_name()),
      schema: field(consult_pq_diag_schema_name()),
      dataType: field(consult_pq_diag_datatype_name()),
      context: field(consult_pq_diag_context()),
      statementPosition: field(consult_pq_diag_statement_position()).flatMap { Int($0) })
  }

  /// The error when libpq returned no result at all: `.connection` if the
  /// connection is broken, else `.usage` (libpq refused to send the command).
  private func missingResultError(_ connection: OpaquePointer) -> PostgresError {
    let message = lastErrorMessage(connection, fallback: "libpq returned no result")
    return PostgresError(
      kind: PQstatus(connection) == CONNECTION_BAD ? .connection : .usage, message: message)
  }
}

/// Explicitly not `Sendable`: a libpq connection must not be shared between threads.
@available(*, unavailable)
extension PostgresConnection: Sendable {}

// MARK: - Helpers

/// Reads and discards pending results (and COPY states) until libpq has none left,
/// so the connection is ready for the next command.
func drainResults(_ connection: OpaquePointer) {
  while let result = PQgetResult(connection) {
    let status = PQresultStatus(result)
    PQclear(result)
    if PQstatus(connection) == CONNECTION_BAD { break }
    if status == PGRES_COPY_IN {
      if PQputCopyEnd(connection, "aborted by the client") != 1 { break }
    } else if status == PGRES_COPY_OUT {
      var buffer: UnsafeMutablePointer<CChar>?
      while PQgetCopyData(connection, &buffer, 0) > 0 {
        PQfreemem(buffer)
        buffer = nil
      }
    } else if status == PGRES_COPY_BOTH {
      break
    }
  }
}

/// libpq's last error message for the connection, trailing newline removed.
func lastErrorMessage(_ connection: OpaquePointer, fallback: String) -> String {
  guard let raw = PQerrorMessage(connection) else { return fallback }
  let message = String(cString: raw).trimmingTrailingWhitespace()
  return message.isEmpty ? fallback : message
}

/// Whether the string's UTF-8 contains a 0x00 byte (which C strings would truncate at).
func containsNUL(_ text: String) -> Bool {
  text.utf8.contains(0)
}

/// Calls `body` with NUL-terminated C copies of `strings` (`nil` stays a null
/// pointer), valid only during the call.
func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
  var owned: [UnsafeMutablePointer<CChar>?] = []
  owned.reserveCapacity(strings.count)
  defer {
    for pointer in owned { pointer?.deallocate() }
  }
  for string in strings {
    guard var string else {
      owned.append(nil)
      continue
    }
    let copy = string.withUTF8 { bytes in
      let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
      if let base = bytes.baseAddress {
        UnsafeMutableRawPointer(pointer).copyMemory(from: base, byteCount: bytes.count)
      }
      pointer[bytes.count] = 0
      return pointer
    }
    owned.append(copy)
  }
  return body(owned.map { $0.map { UnsafePointer($0) } })
}

extension String {
  /// The string without trailing spaces, tabs and newlines.
  func trimmingTrailingWhitespace() -> String {
    var text = Substring(self)
    while let last = text.last, last.isWhitespace { text.removeLast() }
    return String(text)
  }

  /// The string with NUL characters replaced by U+FFFD, for error messages.
  func replacingNUL() -> String {
    String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\0" ? "\u{FFFD}" : $0 }))
  }
}
