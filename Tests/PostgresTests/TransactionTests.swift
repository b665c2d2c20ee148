import Postgres
import Testing

@Suite("Transactions", .needsServer)
struct TransactionTests {
  struct Boom: Error, Equatable {}

  @Test("commit keeps the rows and returns the body's value")
  func commit() throws {
    let db = try TestServer.connect()
    try db.execute("CREATE TEMP TABLE tx_commit (id int)")
    let inserted = try db.withTransaction {
      try db.execute("INSERT INTO tx_commit VALUES (1), (2)")
    }
    #expect(inserted == 2)
    #expect(
      try db.query("SELECT count(*) AS n FROM tx_commit").first?.decode("n", as: Int.self) == 2)
  }

  @Test("a thrown error rolls back and is rethrown unchanged", arguments: IsolationLevel.allCases)
  func rollback(isolation: IsolationLevel) throws {
    let db = try TestServer.connect()
    try db.execute("CREATE TEMP TABLE tx_rollback (id int)")
    #expect(throws: Boom()) {
      try db.withTransaction(isolation: isolation) {
        try db.execute("INSERT INTO tx_rollback VALUES (1)")
        throw Boom()
      }
    }
    #expect(
      try db.query("SELECT count(*) AS n FROM tx_rollback").first?.decode("n", as: Int.self) == 0)
    // The connection is idle again: a new transaction works.
    try db.withTransaction(isolation: isolation) {
      try db.execute("INSERT INTO tx_rollback VALUES (2)")
    }
    #expect(
      try db.query("SELECT count(*) AS n FROM tx_rollback").first?.decode("n", as: Int.self) == 1)
  }

  @Test("isolation level is applied")
  func isolationLevel() throws {
    let db = try TestServer.connect()
    let level = try db.withTransaction(isolation: .serializable) {
      try db.query("SHOW transaction_isolation").first?["transaction_isolation"]
    }
    #expect(level == "serializable")
  }

  @Test("nested use is a usage error and the outer transaction rolls back")
  func nested() throws {
    let db = try TestServer.connect()
    try db.execute("CREATE TEMP TABLE tx_nested (id int)")
    let error = #expect(throws: PostgresError.self) {
      try db.withTransaction {
        try db.execute("INSERT INTO tx_nested VALUES (1)")
        try db.withTransaction { try db.execute("INSERT INTO tx_nested VALUES (2)") }
      }
    }
    #expect(error?.kind == .usage)
    #expect(
      try db.query("SELECT count(*) AS n FROM tx_nested").first?.decode("n", as: Int.self) == 0)
  }

  @Test("a server error swallowed by the body does not commit")
  func swallowedError() throws {
    let db = try TestServer.connect()
    try db.execute("CREATE TEMP TABLE tx_swallow (id int PRIMARY KEY)")
    let error = #expect(throws: PostgresError.self) {
      try db.withTransaction {
        try db.execute("INSERT INTO tx_swallow VALUES (1)")
        _ = try? db.execute("INSERT INTO tx_swallow VALUES (1)")
      }
    }
    #expect(error?.kind == .usage)
    #expect(
      try db.query("SELECT count(*) AS n FROM tx_swallow").first?.decode("n", as: Int.self) == 0)
  }

  @Test("a server error inside the body surfaces with its SQLSTATE")
  func serverErrorInBody() throws {
    let db = try TestServer.connect()
    try db.execute("CREATE TEMP TABLE tx_err (id int PRIMARY KEY)")
    let error = #expect(throws: PostgresError.self) {
      try db.withTransaction {
        try db.execute("INSERT INTO tx_err VALUES (1)")
        try db.execute("INSERT INTO tx_err VALUES (1)")
      }
    }
    #expect(error?.sqlState == SQLState.uniqueViolation)
    #expect(try db.query("SELECT count(*) AS n FROM tx_err").first?.decode("n", as: Int.self) == 0)
  }
}
