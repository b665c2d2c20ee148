import Postgres
import Testing

@Suite("Server errors", .needsServer)
struct ErrorTests {
  @Test("unique violation carries SQLSTATE 23505, constraint and table")
  func uniqueViolation() throws {
    let db = try TestServer.connect()
    try db.execute("CREATE TEMP TABLE uniq (email text CONSTRAINT uniq_email_key UNIQUE)")
    try db.execute("INSERT INTO uniq VALUES ($1)", ["a@example.org"])
    let error = #expect(throws: PostgresError.self) {
      try db.execute("INSERT INTO uniq VALUES ($1)", ["a@example.org"])
    }
    #expect(error?.kind == .server)
    #expect(error?.sqlState == SQLState.uniqueViolation)
    #expect(error?.constraint == "uniq_email_key")
    #expect(error?.table == "uniq")
    #expect(error?.severity == "ERROR")
    #expect(error?.detail?.contains("already exists") == true)
    #expect(error?.description.contains("INSERT") == false)
    #expect(error?.debugDescription.contains("23505") == true)
  }

  @Test("not-null and check violations name the column / constraint")
  func otherConstraints() throws {
    let db = try TestServer.connect()
    try db.execute(
      "CREATE TEMP TABLE checked (n int NOT NULL CONSTRAINT checked_positive CHECK (n > 0))")
    let notNull = #expect(throws: PostgresError.self) {
      try db.execute("INSERT INTO checked VALUES ($1)", [nil])
    }
    #expect(notNull?.sqlState == SQLState.notNullViolation)
    #expect(notNull?.column == "n")
    let check = #expect(throws: PostgresError.self) {
      try db.execute("INSERT INTO checked VALUES ($1)", [-1])
    }
    #expect(check?.sqlState == SQLState.checkViolation)
    #expect(check?.constraint == "checked_positive")
  }

  @Test("bad integer text is 22P02")
  func invalidTextRepresentation() throws {
    let db = try TestServer.connect()
    let error = #expect(throws: PostgresError.self) { try db.query("SELECT $1::int", ["twelve"]) }
    #expect(error?.kind == .server)
    #expect(error?.sqlState == SQLState.invalidTextRepresentation)
    #expect(error?.message.contains("twelve") == true)
  }

  @Test("syntax error is 42601 with a position; the connection stays usable")
  func syntaxError() throws {
    let db = try TestServer.connect()
    let error = #expect(throws: PostgresError.self) { try db.query("SELEC 1") }
    #expect(error?.kind == .server)
    #expect(error?.sqlState == SQLState.syntaxError)
    #expect(error?.statementPosition == 1)
    #expect(error?.description.contains("syntax error") == true)
    let missing = #expect(throws: PostgresError.self) {
      try db.query("SELECT * FROM no_such_table")
    }
    #expect(missing?.sqlState == SQLState.undefinedTable)
    #expect(try db.query("SELECT 1 AS one").first?["one"] == "1")
  }

  @Test("an invalid byte sequence converted on the server is 22021")
  func encodingErrorFromServer() throws {
    let db = try TestServer.connect()
    let error = #expect(throws: PostgresError.self) {
      try db.query("SELECT convert_from('\\xff'::bytea, 'UTF8')")
    }
    #expect(error?.sqlState == SQLState.characterNotInRepertoire)
  }

  @Test("statement_timeout cancels with 57014")
  func statementTimeout() throws {
    let db = try TestServer.connect()
    try db.execute("SET statement_timeout = '50ms'")
    let error = #expect(throws: PostgresError.self) { try db.query("SELECT pg_sleep(5)") }
    #expect(error?.kind == .server)
    #expect(error?.sqlState == SQLState.queryCanceled)
  }

  @Test("a connection terminated by the server throws .connection")
  func terminated() throws {
    let victim = try TestServer.connect()
    let pid = try #require(try victim.query("SELECT pg_backend_pid() AS pid").first).decode(
      "pid", as: Int32.self)
    let admin = try TestServer.connect()
    let row = try #require(try admin.query("SELECT pg_terminate_backend($1) AS ok", [pid]).first)
    #expect(try row.decode("ok", as: Bool.self))
    let error = #expect(throws: PostgresError.self) { try victim.query("SELECT 1") }
    #expect(error?.kind == .connection)
  }
}
