import Postgres
import Testing

@Suite("COPY FROM STDIN", .needsServer)
struct CopyTests {
  static let specials = [
    "tab\there", "line\nbreak", "cr\rreturn", #"back\slash"#, #"\N"#, #"\."#, "Grüße 中文 🎉", "",
    "'\"",
  ]

  /// The text of row `i` for the `copy_big` tests.
  static func text(_ i: Int) -> String? {
    i % 97 == 0 ? nil : "row \(i) " + specials[i % specials.count]
  }

  @Test("10,000 rows with special characters, then count and spot-check")
  func bulk() throws {
    let db = try TestServer.connect()
    try db.execute("CREATE TEMP TABLE copy_big (id bigint PRIMARY KEY, body text, flag boolean)")
    let copied = try db.copyFrom("COPY copy_big (id, body, flag) FROM STDIN") { writer in
      for i in 0..<10_000 {
        try writer.writeRow([String(i), Self.text(i), i % 2 == 0 ? "t" : "f"])
      }
      #expect(writer.rowCount == 10_000)
    }
    #expect(copied == 10_000)
    #expect(
      try db.query("SELECT count(*) AS n FROM copy_big").first?.decode("n", as: Int.self) == 10_000)
    for i in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 97, 4321, 9_999] {
      let row = try #require(
        try db.query("SELECT body, flag FROM copy_big WHERE id = $1", [i]).first)
      #expect(row["body"] == Self.text(i), "row \(i)")
      #expect(try row.decode("flag", as: Bool.self) == (i % 2 == 0))
    }
    let nulls = try db.query("SELECT count(*) AS n FROM copy_big WHERE body IS NULL").first
    #expect(try nulls?.decode("n", as: Int.self) == (0..<10_000).filter { $0 % 97 == 0 }.count)
  }

  @Test("rows larger than the 64 KiB chunk")
  func largeFields() throws {
    let db = try TestServer.connect()
    try db.execute("CREATE TEMP TABLE copy_large (body text)")
    let big = String(repeating: "ä\t🎉\\", count: 40_000)
    let copied = try db.copyFrom("COPY copy_large FROM STDIN") { writer in
      for _ in 0..<3 { try writer.writeRow([big]) }
    }
    #expect(copied == 3)
    let rows = try db.query("SELECT body FROM copy_large")
    #expect(rows.allSatisfy { $0["body"] == big })
  }

  @Test("a thrown error aborts the COPY, leaves the table empty and is rethrown")
  func abort() throws {
    struct Stop: Error, Equatable {}
    let db = try TestServer.connect()
    try db.execute("CREATE TEMP TABLE copy_abort (id int)")
    #expect(throws: Stop()) {
      try db.copyFrom("COPY copy_abort FROM STDIN") { writer in
        for i in 0..<20_000 { try writer.writeRow([String(i)]) }
        throw Stop()
      }
    }
    #expect(
      try db.query("SELECT count(*) AS n FROM copy_abort").first?.decode("n", as: Int.self) == 0)
    #expect(try db.copyFrom("COPY copy_abort FROM STDIN") { try $0.writeRow(["1"]) } == 1)
  }

  @Test("server errors during COPY surface with SQLSTATE")
  func serverError() throws {
    let db = try TestServer.connect()
    try db.execute("CREATE TEMP TABLE copy_bad (id int PRIMARY KEY)")
    let bad = #expect(throws: PostgresError.self) {
      try db.copyFrom("COPY copy_bad FROM STDIN") { writer in
        try writer.writeRow(["1"])
        try writer.writeRow(["not a number"])
      }
    }
    #expect(bad?.kind == .server)
    #expect(bad?.sqlState == SQLState.invalidTextRepresentation)
    let duplicate = #expect(throws: PostgresError.self) {
      try db.copyFrom("COPY copy_bad FROM STDIN") { writer in
        try writer.writeRow(["1"])
        try writer.writeRow(["1"])
      }
    }
    #expect(duplicate?.sqlState == SQLState.uniqueViolation)
    let missing = #expect(throws: PostgresError.self) {
      try db.copyFrom("COPY no_such_table FROM STDIN") { _ in }
    }
    #expect(missing?.sqlState == SQLState.undefinedTable)
    #expect(
      try db.query("SELECT count(*) AS n FROM copy_bad").first?.decode("n", as: Int.self) == 0)
  }

  @Test("a NUL byte in a field is a usage error and aborts the COPY")
  func nulField() throws {
    let db = try TestServer.connect()
    try db.execute("CREATE TEMP TABLE copy_nul (a text, b text)")
    let error = #expect(throws: PostgresError.self) {
      try db.copyFrom("COPY copy_nul FROM STDIN") { writer in
        try writer.writeRow(["ok", "ok"])
        try writer.writeRow(["ok", "n\0l"])
      }
    }
    #expect(error?.kind == .usage)
    #expect(error?.message.contains("row 2 field 2") == true)
    #expect(
      try db.query("SELECT count(*) AS n FROM copy_nul").first?.decode("n", as: Int.self) == 0)
  }

  @Test("COPY inside a transaction; a non-COPY statement is a usage error")
  func inTransactionAndMisuse() throws {
    let db = try TestServer.connect()
    try db.execute("CREATE TEMP TABLE copy_tx (a text)")
    let copied = try db.withTransaction {
      try db.copyFrom("COPY copy_tx FROM STDIN") { writer in
        try writer.writeRow(["x"])
        try writer.writeRow([nil])
      }
    }
    #expect(copied == 2)
    let misuse = #expect(throws: PostgresError.self) {
      try db.copyFrom("SELECT 1") { _ in }
    }
    #expect(misuse?.kind == .usage)
    #expect(try db.query("SELECT count(*) AS n FROM copy_tx").first?.decode("n", as: Int.self) == 2)
  }

  @Test("a writer kept beyond the copyFrom body cannot write")
  func escapedWriter() throws {
    let db = try TestServer.connect()
    try db.execute("CREATE TEMP TABLE copy_escape (a text)")
    var kept: PostgresCopyWriter?
    try db.copyFrom("COPY copy_escape FROM STDIN") { writer in
      try writer.writeRow(["x"])
      kept = writer
    }
    let error = #expect(throws: PostgresError.self) { try kept?.writeRow(["y"]) }
    #expect(error?.kind == .usage)
    #expect(try db.query("SELECT a FROM copy_escape").map { $0["a"] } == ["x"])
  }
}
