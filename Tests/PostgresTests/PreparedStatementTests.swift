import Postgres
import Testing

@Suite("Prepared statements", .needsServer)
struct PreparedStatementTests {
  @Test("a statement is prepared once and reused, across transactions and rollbacks")
  func reused() throws {
    let db = try TestServer.connect()
    try db.execute("CREATE TEMP TABLE prepared_rows (id int, label text)")
    let insert = "INSERT INTO prepared_rows VALUES ($1, $2) RETURNING id"
    #expect(try db.queryPrepared(insert, [1, "one"]).first?.decode("id", as: Int.self) == 1)
    struct Boom: Error {}
    #expect(throws: Boom.self) {
      try db.withTransaction {
        try db.queryPrepared(insert, [2, "rolled back"])
        throw Boom()
      }
    }
    try db.withTransaction { try db.queryPrepared(insert, [3, nil]) }
    let rows = try db.query("SELECT id, label FROM prepared_rows ORDER BY id")
    #expect(try rows.map { try $0.decode("id", as: Int.self) } == [1, 3])
    #expect(try rows[1].decode("label", as: String?.self) == nil)
    let statements = try db.query(
      "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement = $1", [insert])
    #expect(try statements.first?.decode("n", as: Int.self) == 1)
  }

  @Test("a server error leaves the statement usable")
  func errorsAreReported() throws {
    let db = try TestServer.connect()
    let divide = "SELECT 10 / $1::int AS q"
    #expect(throws: PostgresError.self) { try db.queryPrepared(divide, [0]) }
    #expect(try db.queryPrepared(divide, [5]).first?.decode("q", as: Int.self) == 2)
  }
}
