import Foundation
import Postgres
import Testing

@Suite("Connections", .needsServer)
struct ConnectionTests {
  @Test("session is UTC, ISO dates, UTF8")
  func sessionSettings() throws {
    let db = try TestServer.connect()
    let row = try #require(
      try db.query(
        """
        SELECT current_setting('TimeZone') AS tz, current_setting('DateStyle') AS ds,
               current_setting('client_encoding') AS enc
        """
      ).first)
    #expect(row["tz"] == "UTC")
    #expect(row["ds"]?.hasPrefix("ISO") == true)
    #expect(row["enc"] == "UTF8")
    #expect(db.serverVersion >= 90600)
  }

  @Test("connects with a postgresql:// URL naming the socket dir")
  func urlConnection() throws {
    let host = TestServer.host
    let encoded = host.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? host
    for url in ["postgresql:///postgres?host=\(host)", "postgres://\(encoded)/postgres"] {
      let db = try PostgresConnection(url: url)
      let row = try #require(try db.query("SELECT current_database() AS db").first)
      #expect(try row.decode("db", as: String.self) == "postgres")
    }
  }

  @Test("parameters override the URL")
  func parametersOverrideURL() throws {
    let db = try PostgresConnection(
      url: "postgresql:///postgres?host=\(TestServer.host)&application_name=from-url",
      parameters: ["application_name": "from-parameters"])
    let row = try #require(try db.query("SHOW application_name").first)
    #expect(row["application_name"] == "from-parameters")
  }

  @Test("a nonexistent socket directory throws .connection with libpq's message")
  func badConnection() {
    let error = #expect(throws: PostgresError.self) {
      try PostgresConnection(parameters: [
        "host": "/nonexistent/consult-socket-dir", "connect_timeout": "2",
      ])
    }
    #expect(error?.kind == .connection)
    #expect(error?.message.contains("/nonexistent/consult-socket-dir") == true)
    #expect(error?.sqlState == nil)
  }

  @Test("a nonexistent database throws .connection")
  func missingDatabase() {
    let error = #expect(throws: PostgresError.self) {
      try PostgresConnection(parameters: ["dbname": "no_such_database_consult"])
    }
    #expect(error?.kind == .connection)
    #expect(error?.message.contains("no_such_database_consult") == true)
  }

  @Test("a NUL byte in a connection parameter is a usage error")
  func nulInConnectionParameter() {
    let error = #expect(throws: PostgresError.self) {
      try PostgresConnection(parameters: ["dbname": "post\0gres"])
    }
    #expect(error?.kind == .usage)
  }

  @Test("create, use and drop a temporary database with a quoted name")
  func temporaryDatabase() throws {
    let admin = try TestServer.connect()
    let name = "consult test \"db\" \(UUID().uuidString.prefix(8))"
    let quoted = try admin.quoteIdentifier(name)
    #expect(quoted.hasPrefix("\"") && quoted.contains("\"\"db\"\""))
    try admin.execute("CREATE DATABASE \(quoted)")
    defer { _ = try? admin.execute("DROP DATABASE IF EXISTS \(quoted)") }

    let duplicate = #expect(throws: PostgresError.self) {
      try admin.execute("CREATE DATABASE \(quoted)")
    }
    #expect(duplicate?.sqlState == SQLState.duplicateDatabase)

    do {
      let db = try PostgresConnection(parameters: ["dbname": name])
      let row = try #require(try db.query("SELECT current_database() AS db").first)
      #expect(row["db"] == name)
      db.close()
    }
    try admin.execute("DROP DATABASE \(quoted)")
    let missing = #expect(throws: PostgresError.self) {
      try PostgresConnection(parameters: ["dbname": name])
    }
    #expect(missing?.kind == .connection)
  }

  @Test("a closed connection throws .usage")
  func closedConnection() throws {
    let db = try TestServer.connect()
    #expect(db.isOpen)
    db.close()
    db.close()
    #expect(!db.isOpen)
    let error = #expect(throws: PostgresError.self) { try db.query("SELECT 1") }
    #expect(error?.kind == .usage)
  }

  @Test("executeScript runs several statements in one implicit transaction")
  func script() throws {
    let db = try TestServer.connect()
    try db.executeScript(
      """
      CREATE TEMP TABLE script_t (id int PRIMARY KEY);
      INSERT INTO script_t VALUES (1), (2);
      DROP TABLE IF EXISTS script_does_not_exist;
      """)
    #expect(
      try db.query("SELECT count(*) AS n FROM script_t").first?.decode("n", as: Int.self) == 2)
    let error = #expect(throws: PostgresError.self) {
      try db.executeScript("INSERT INTO script_t VALUES (3); INSERT INTO script_t VALUES (1);")
    }
    #expect(error?.sqlState == SQLState.uniqueViolation)
    #expect(
      try db.query("SELECT count(*) AS n FROM script_t").first?.decode("n", as: Int.self) == 2)
  }

  @Test("query on a COPY statement is a usage error and leaves the connection usable")
  func copyViaQuery() throws {
    let db = try TestServer.connect()
    try db.execute("CREATE TEMP TABLE copyq (a int)")
    let error = #expect(throws: PostgresError.self) { try db.query("COPY copyq FROM STDIN") }
    #expect(error?.kind == .usage)
    let out = #expect(throws: PostgresError.self) { try db.query("COPY (SELECT 1) TO STDOUT") }
    #expect(out?.kind == .usage)
    #expect(try db.query("SELECT 1 AS one").first?["one"] == "1")
  }
}
