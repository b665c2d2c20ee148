import Foundation
import Postgres
import Testing

/// Known instants: text as PostgreSQL prints it in a UTC session, and µs since 1970.
let knownTimestamps: [(text: String, micros: Int64)] = [
  ("1970-01-01 00:00:00+00", 0),
  ("1970-01-01 00:00:00.000001+00", 1),
  ("1969-12-31 23:59:59.999999+00", -1),
  ("1999-12-31 23:59:59.999999+00", 946_684_799_999_999),
  ("2000-01-01 00:00:00+00", 946_684_800_000_000),
  ("2015-09-17 07:00:00.123456+00", 1_442_473_200_123_456),
  ("1900-02-28 12:34:56.5+00", -2_203_932_303_500_000),
  ("1600-02-29 00:00:00+00", -11_670_998_400_000_000),
  ("0001-01-01 00:00:00+00", -62_135_596_800_000_000),
  ("9999-12-31 23:59:59.999999+00", 253_402_300_799_999_999),
  ("2038-01-19 03:14:08+00", 2_147_483_648_000_000),
  ("1850-06-15 12:34:56.000001+00", -3_772_524_303_999_999),
  ("2100-03-01 00:00:00.999999+00", 4_107_542_400_999_999),
]

/// Whether `Date` (a Double of seconds since 2001) resolves 1 µs at this instant:
/// within 2^33 s (about 272 years) of 2001-01-01. Farther out only whole
/// milliseconds and coarser survive, which is `Date`'s limit, not ours.
func dateIsMicrosecondExact(_ micros: Int64) -> Bool {
  abs(Double(micros) / 1_000_000 - 978_307_200) < 8_589_934_592
}

@Suite("PostgresTimestamp (no server)")
struct TimestampUnitTests {
  @Test("parses and prints PostgreSQL's ISO output", arguments: knownTimestamps)
  func parsePrint(_ known: (text: String, micros: Int64)) throws {
    let parsed = try PostgresTimestamp(postgresText: known.text)
    #expect(parsed.microsecondsSinceEpoch == known.micros)
    #expect(PostgresTimestamp(microsecondsSinceEpoch: known.micros).postgresText == known.text)
  }

  @Test("Date conversions round-trip at 1 µs", arguments: knownTimestamps)
  func dateRoundTrip(_ known: (text: String, micros: Int64)) {
    let timestamp = PostgresTimestamp(microsecondsSinceEpoch: known.micros)
    let back = PostgresTimestamp(timestamp.date).microsecondsSinceEpoch
    if dateIsMicrosecondExact(known.micros) || known.micros % 1_000_000 == 0 {
      #expect(back == known.micros)
    } else {
      #expect(abs(back - known.micros) < 100)
    }
  }

  @Test("Date round-trips every microsecond around 1970 and 2000")
  func dateDense() {
    for base: Int64 in [0, 946_684_800_000_000, -2_208_988_800_000_000, 1_442_473_200_000_000] {
      let failures = (base - 2_000...base + 2_000).filter { micros in
        PostgresTimestamp(PostgresTimestamp(microsecondsSinceEpoch: micros).date)
          .microsecondsSinceEpoch != micros
      }
      #expect(failures.isEmpty, "base \(base)")
    }
  }

  @Test("Date conversion uses floor division before 1970")
  func floorDivision() {
    let date = PostgresTimestamp(microsecondsSinceEpoch: -1).date
    #expect(date.timeIntervalSince1970 < 0)
    #expect(abs(date.timeIntervalSince1970 + 0.000001) < 5e-7)
    let micros = PostgresTimestamp(microsecondsSinceEpoch: -1_500_000).date.timeIntervalSince1970
    #expect(abs(micros + 1.5) < 5e-7)
  }

  @Test("UTC offsets, 'T', 'Z', and dates without a time")
  func offsets() throws {
    let utc = try PostgresTimestamp(postgresText: "2015-09-17 07:30:00+00")
    #expect(try PostgresTimestamp(postgresText: "2015-09-17 09:30:00+02") == utc)
    #expect(try PostgresTimestamp(postgresText: "2015-09-17 13:00:00+05:30") == utc)
    #expect(try PostgresTimestamp(postgresText: "2015-09-17 04:00:00-03:30") == utc)
    #expect(try PostgresTimestamp(postgresText: "2015-09-17T07:30:00Z") == utc)
    #expect(try PostgresTimestamp(postgresText: "2015-09-17 07:30:00") == utc)
    #expect(
      try PostgresTimestamp(postgresText: "1900-01-01 00:00:00+00:09:21").microsecondsSinceEpoch
        == -2_208_988_800_000_000 - 561_000_000)
    #expect(
      try PostgresTimestamp(postgresText: "2015-09-17").postgresText == "2015-09-17 00:00:00+00")
    #expect(
      try PostgresTimestamp(
        year: 2015, month: 9, day: 17, hour: 9, minute: 30, utcOffsetSeconds: 7200) == utc)
  }

  @Test(
    "rejects infinity, BC and malformed text",
    arguments: [
      "infinity", "-infinity", "0044-03-15 00:00:00+00 BC", "2015-13-01 00:00:00+00",
      "2015-02-29 00:00:00+00",
      "2015-09-17 24:00:00+00", "2015-09-17 07:00:00.1234567+00", "15-09-17", "2015-09-17 07:00+00",
      "2015-09-17 07:00:00+0", "2015-09-17 07:00:00 +00", "",
    ])
  func rejects(_ text: String) {
    let error = #expect(throws: PostgresError.self) { try PostgresTimestamp(postgresText: text) }
    #expect(error?.kind == .decoding)
  }

  @Test("ordering and hashing follow the instant")
  func ordering() throws {
    let a = PostgresTimestamp(microsecondsSinceEpoch: -5)
    let b = PostgresTimestamp(microsecondsSinceEpoch: 7)
    #expect(a < b)
    #expect(Set([a, b, a]).count == 2)
  }
}

@Suite("Timestamps against the server", .needsServer)
struct TimestampServerTests {
  @Test("timestamptz round-trips exactly at 1 µs", arguments: knownTimestamps)
  func roundTrip(_ known: (text: String, micros: Int64)) throws {
    let db = try TestServer.connect()
    let value = PostgresTimestamp(microsecondsSinceEpoch: known.micros)
    let row = try #require(
      try db.query(
        "SELECT $1::timestamptz AS v, $1::timestamptz = $2::timestamptz AS same",
        [value, known.text]
      ).first)
    #expect(row["v"] == known.text)
    #expect(try row.decode("v", as: PostgresTimestamp.self) == value)
    #expect(try row.decode("same", as: Bool.self))
    let date = try row.decode("v", as: Date.self)
    if dateIsMicrosecondExact(known.micros) {
      #expect(PostgresTimestamp(date) == value)
    }
  }

  @Test("2015-09-17 09:30:00+02 is 07:30 UTC")
  func offsetLiteral() throws {
    let db = try TestServer.connect()
    let row = try #require(try db.query("SELECT '2015-09-17 09:30:00+02'::timestamptz AS v").first)
    #expect(row["v"] == "2015-09-17 07:30:00+00")
    let value = try row.decode("v", as: PostgresTimestamp.self)
    #expect(value == (try PostgresTimestamp(year: 2015, month: 9, day: 17, hour: 7, minute: 30)))
    #expect(value.microsecondsSinceEpoch == 1_442_475_000_000_000)
  }

  @Test("matches extract(epoch) for random instants and stores through a table")
  func randomInstants() throws {
    let db = try TestServer.connect()
    try db.execute("CREATE TEMP TABLE ts (id int, at timestamptz)")
    var generator = SystemRandomNumberGenerator()
    let values = (0..<200).map { _ in
      PostgresTimestamp(
        microsecondsSinceEpoch: Int64.random(
          in: -62_135_596_800_000_000...253_402_300_799_999_999, using: &generator))
    }
    for (index, value) in values.enumerated() {
      try db.execute("INSERT INTO ts VALUES ($1, $2)", [index, value])
    }
    let rows = try db.query(
      "SELECT id, at, (extract(epoch FROM at) * 1000000)::bigint AS micros FROM ts ORDER BY id")
    for row in rows {
      let value = values[try row.decode("id", as: Int.self)]
      #expect(try row.decode("at", as: PostgresTimestamp.self) == value)
      #expect(try row.decode("micros", as: Int64.self) == value.microsecondsSinceEpoch)
    }
  }

  @Test("infinity is rejected when decoding")
  func infinity() throws {
    let db = try TestServer.connect()
    let row = try #require(try db.query("SELECT 'infinity'::timestamptz AS v").first)
    let error = #expect(throws: PostgresError.self) {
      try row.decode("v", as: PostgresTimestamp.self)
    }
    #expect(error?.kind == .decoding)
    #expect(error?.message.contains("infinity") == true)
  }
}
