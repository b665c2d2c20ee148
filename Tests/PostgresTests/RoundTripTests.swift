import Foundation
import Postgres
import Testing

@Suite("Value round trips", .needsServer)
struct RoundTripTests {
  static let samples = [
    "",
    "plain ascii",
    "Grüße, Jürgen — Ökologie ÄÖÜß",
    "中文 日本語 한국어",
    "emoji 🎉👩‍👩‍👧‍👦🇪🇺",
    "quotes ' \" `",
    #"back\slash \\ \N \."#,
    "new\nline\r\nand\ttab",
    "$1 ; DROP TABLE x; --",
  ]

  @Test("String parameters come back byte for byte", arguments: samples)
  func strings(_ value: String) throws {
    let db = try TestServer.connect()
    let row = try #require(
      try db.query("SELECT $1::text AS v, octet_length($1::text) AS n", [value]).first)
    #expect(try row.decode("v", as: String.self) == value)
    #expect(try row.decode("n", as: Int.self) == value.utf8.count)
  }

  @Test("integers at their extremes")
  func integers() throws {
    let db = try TestServer.connect()
    for value in [Int64.min, -1, 0, 1, Int64.max] {
      let row = try #require(try db.query("SELECT $1::bigint AS v", [value]).first)
      #expect(try row.decode("v", as: Int64.self) == value)
      #expect(try row.decode("v", as: Int.self) == Int(value))
    }
    for value in [Int32.min, Int32.max] {
      let row = try #require(try db.query("SELECT $1::integer AS v", [value]).first)
      #expect(try row.decode("v", as: Int32.self) == value)
    }
    let row = try #require(try db.query("SELECT $1::smallint AS v", [Int16.min]).first)
    #expect(try row.decode("v", as: Int16.self) == Int16.min)
    let overflow = #expect(throws: PostgresError.self) {
      try db.query("SELECT 2147483648::bigint AS v").first?.decode("v", as: Int32.self)
    }
    #expect(overflow?.kind == .decoding)
  }

  @Test("Bool, Double, UUID")
  func scalars() throws {
    let db = try TestServer.connect()
    for value in [true, false] {
      let row = try #require(
        try db.query("SELECT $1::boolean AS v, NOT $1::boolean AS w", [value]).first)
      #expect(row["v"] == (value ? "t" : "f"))
      #expect(try row.decode("v", as: Bool.self) == value)
      #expect(try row.decode("w", as: Bool.self) == !value)
    }
    for value in [
      0.1, -1.5e300, Double.leastNonzeroMagnitude, Double.infinity, -Double.infinity, 1.0 / 3.0,
    ] {
      let row = try #require(try db.query("SELECT $1::float8 AS v", [value]).first)
      #expect(try row.decode("v", as: Double.self) == value)
    }
    let nan = try #require(try db.query("SELECT $1::float8 AS v", [Double.nan]).first)
    #expect(try nan.decode("v", as: Double.self).isNaN)
    let uuid = UUID()
    let row = try #require(try db.query("SELECT $1::uuid AS v", [uuid]).first)
    #expect(try row.decode("v", as: UUID.self) == uuid)
  }

  @Test("NULL in and out")
  func nulls() throws {
    let db = try TestServer.connect()
    let missing: String? = nil
    let row = try #require(
      try db.query("SELECT $1::text AS v, $2::int AS w", [missing, nil]).first)
    #expect(row["v"] == nil)
    #expect(try row.decode("v", as: String?.self) == nil)
    #expect(try row.decodeIfPresent("w", as: Int.self) == nil)
    let error = #expect(throws: PostgresError.self) { try row.decode("v", as: String.self) }
    #expect(error?.kind == .decoding)
    #expect(error?.column == "v")
    let inferredOptional: Int? = try row.decode("w")
    #expect(inferredOptional == nil)
    let inferredString: String? = try row.decode("v")
    #expect(inferredString == nil)
    let present: Int? = 5
    let row2 = try #require(try db.query("SELECT $1::int AS v", [present]).first)
    #expect(try row2.decode("v", as: Int?.self) == 5)
    let inferred: Int = try row2.decode("v")
    #expect(inferred == 5)
    let inferredPresent: Int? = try row2.decode("v")
    #expect(inferredPresent == 5)
  }

  @Test("decoding errors name the column and the raw value")
  func decodingErrors() throws {
    let db = try TestServer.connect()
    let row = try #require(try db.query("SELECT 'abc'::text AS word").first)
    let bad = #expect(throws: PostgresError.self) { try row.decode("word", as: Int.self) }
    #expect(bad?.kind == .decoding)
    #expect(bad?.column == "word")
    #expect(bad?.message.contains("\"abc\"") == true)
    let missing = #expect(throws: PostgresError.self) { try row.decode("nope", as: String.self) }
    #expect(missing?.kind == .decoding)
    #expect(missing?.message.contains("nope") == true)
  }

  @Test("JSON and JSONB")
  func json() throws {
    struct Payload: Codable, Equatable {
      var name: String
      var tags: [String]
      var count: Int
      var nested: [String: Double]
    }
    let db = try TestServer.connect()
    let payload = Payload(
      name: "Grüße 🎉 \"quoted\" \\ / \n", tags: ["a", "b"], count: 42, nested: ["x": 1.5])
    let json = try PostgresJSON(encoding: payload)
    for type in ["json", "jsonb"] {
      let row = try #require(try db.query("SELECT $1::\(type) AS v", [json]).first)
      let back = try row.decode("v", as: PostgresJSON.self)
      #expect(try back.decode(Payload.self) == payload)
    }
    let row = try #require(
      try db.query("SELECT ($1::jsonb)->>'name' AS name, ($1::jsonb)->'count' AS c", [json]).first)
    #expect(row["name"] == payload.name)
    #expect(try row.decode("c", as: Int.self) == 42)
    let invalid = #expect(throws: PostgresError.self) {
      try db.query("SELECT $1::jsonb", [PostgresJSON(text: "{not json")])
    }
    #expect(invalid?.sqlState == SQLState.invalidTextRepresentation)
  }

  @Test("a NUL byte in a parameter is a usage error naming $n")
  func nulParameter() throws {
    let db = try TestServer.connect()
    let error = #expect(throws: PostgresError.self) {
      try db.query("SELECT $1::text, $2::text", ["fine", "bad\0value"])
    }
    #expect(error?.kind == .usage)
    #expect(error?.message.contains("$2") == true)
    let sqlError = #expect(throws: PostgresError.self) { try db.query("SELECT 1\0; SELECT 2") }
    #expect(sqlError?.kind == .usage)
    #expect(try db.query("SELECT 1 AS one").first?["one"] == "1")
  }

  @Test("result metadata: columns, count, affected rows, duplicate names")
  func resultMetadata() throws {
    let db = try TestServer.connect()
    try db.execute("CREATE TEMP TABLE meta (id int, name text)")
    #expect(try db.execute("INSERT INTO meta VALUES (1, 'a'), (2, 'b'), (3, 'c')") == 3)
    #expect(try db.execute("UPDATE meta SET name = 'z' WHERE id >= $1", [2]) == 2)
    let result = try db.query("SELECT id, name, id AS id FROM meta ORDER BY id")
    #expect(result.columns == ["id", "name", "id"])
    #expect(result.count == 3)
    #expect(result.affectedRows == 3)
    #expect(result.map { $0["name"] } == ["a", "z", "z"])
    #expect(result[2][0] == "3")
    #expect(try db.execute("DELETE FROM meta") == 3)
    #expect(try db.query("SELECT * FROM meta").isEmpty)
  }
}
