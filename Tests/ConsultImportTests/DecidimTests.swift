import Foundation
import Testing

@testable import ConsultImport

/// Reads every record of `source`, throwing at the first invalid one.
func readAll(_ source: any SubmissionSource) throws -> [SubmissionRecord] {
  var records: [SubmissionRecord] = []
  try source.read { records.append($0) }
  return records
}

/// Reads `source` skipping invalid records: the valid records and the errors, in file order.
func readSkipping(_ source: any SubmissionSource) throws -> ([SubmissionRecord], [ImportError]) {
  var records: [SubmissionRecord] = []
  var errors: [ImportError] = []
  try source.read(invalid: { errors.append($0) }, { records.append($0) })
  return (records, errors)
}

/// A hand-written Decidim comments export, following the open-data layout.
enum DecidimFixture {
  static let header =
    "id;created_at;body;locale;author/id;author/name;alignment;depth;user_group/id;user_group/name;"
    + "commentable_id;commentable_type;root_commentable_url\n"

  /// One row; `body` is written as given (quote it yourself when needed).
  static func row(
    _ id: String, _ created: String = "2021-03-04T10:15:00+01:00", body: String = "I support this.",
    locale: String = "en", author: String = "7", name: String = "Ana Pérez", group: String = ""
  ) -> String {
    [
      id, created, body, locale, author, name, "1", "0", group.isEmpty ? "" : "3", group, "55",
      "Decidim::Proposals::Proposal", "https://participa.example.org/processes/p/f/1/proposals/55",
    ].joined(separator: ";") + "\n"
  }

  static let good =
    header
    + row("101")
    + row(
      "102", "2021-03-05 09:00:00 +0100", body: "\"{\"\"en\"\":\"\"Plain English\"\",\"\"ca\"\":\"\"Català\"\"}\"",
      locale: "ca", group: "Associació Veïnal")
    + row(
      "103", "2021-07-01T12:00:00.250Z", body: "\"Line one\nline two; with \"\"quotes\"\"\"", locale: "es", author: "8",
      name: "Bo")
    + row("104", body: "\"{\"\"en\"\"=>\"\"Hello\"\", \"\"es\"\"=>\"\"Hola\"\"}\"", locale: "fr", author: "", name: "")
}

@Suite("Decidim comments CSV")
struct DecidimTests {
  let dir: FixtureDirectory
  init() throws { dir = try FixtureDirectory() }

  @Test func readsTheHandWrittenExport() throws {
    let records = try readAll(DecidimSource(try dir.write("comments.csv", DecidimFixture.good)))
    #expect(records.map(\.sourceID) == ["101", "102", "103", "104"])
    #expect(records.map(\.line) == [2, 3, 4, 6])
    let first = records[0]
    #expect(first.text == "I support this.")
    #expect(first.receivedAt == utc(2021, 3, 4, 9).addingTimeInterval(900) && first.postedAt == first.receivedAt)
    #expect(first.authorKey == "7" && first.authorName == "Ana Pérez" && first.organisation == nil)
    #expect(first.language == "en")
    #expect(first.sourceURL == "https://participa.example.org/processes/p/f/1/proposals/55")
    #expect(records[1].text == "Català")
    #expect(records[1].organisation == "Associació Veïnal")
    #expect(records[1].receivedAt == utc(2021, 3, 5, 8))
    #expect(records[2].text == "Line one\nline two; with \"quotes\"")
    #expect(records[2].receivedAt == utc(2021, 7, 1, 12).addingTimeInterval(0.25))
    // Ruby-hash body, locale not among its keys: the first entry.
    #expect(records[3].text == "Hello" && records[3].language == "fr")
    #expect(records[3].authorKey == nil && records[3].authorName == nil)
  }

  @Test func acceptsBOMAndCRLF() throws {
    let crlf = DecidimFixture.good.replacingOccurrences(of: "\n", with: "\r\n")
    let records = try readAll(
      DecidimSource(try dir.write("comments.csv", bytes: [0xEF, 0xBB, 0xBF] + Array(crlf.utf8))))
    #expect(records.map(\.line) == [2, 3, 4, 6])
    #expect(records[2].text == "Line one\nline two; with \"quotes\"")
  }

  @Test func readsWindows1252WhenAsked() throws {
    let bytes =
      Array(DecidimFixture.header.utf8) + Array("1;2021-03-04T10:15:00Z;Caf".utf8) + [0xE9, 0x20, 0x80]
      + Array(";en;1;Jos;0;0;;;1;X;u\n".utf8)
    let file = try dir.write("comments.csv", bytes: bytes)
    let records = try readAll(DecidimSource(file, encoding: .windows1252))
    #expect(records.first?.text == "Café €")
    let error = try #require(throws: ImportError.self) { try readAll(DecidimSource(file)) }
    #expect(error.line == 2 && error.message.contains("invalid UTF-8"))
  }

  static let hostile: [(String, [UInt8], Int?, String?, String)] = [
    ("no header", Array("foo;bar\n1;2\n".utf8), 1, "id", "the first row (line 1) lacks \"id\", \"body\""),
    (
      "missing column", Array("id;body;locale\n1;hi;en\n".utf8), 1, "created_at",
      "missing required column \"created_at\""
    ),
    (
      "broken quoting",
      Array((DecidimFixture.header + DecidimFixture.row("1") + DecidimFixture.row("2", body: "\"open")).utf8), 3,
      "body", "broken CSV quoting"
    ),
    (
      "invalid UTF-8", Array((DecidimFixture.header + DecidimFixture.row("1")).utf8) + [0x32, 0x3B, 0xC3, 0x28, 0x0A],
      3, "created_at", "invalid UTF-8"
    ),
    (
      "NUL byte", Array((DecidimFixture.header + DecidimFixture.row("1", body: "a\u{0}b")).utf8), 2, "body",
      "NUL byte"
    ),
    ("empty text", Array((DecidimFixture.header + DecidimFixture.row("1", body: " ")).utf8), 2, "body", "empty"),
    (
      "empty localised text",
      Array((DecidimFixture.header + DecidimFixture.row("1", body: "\"{\"\"en\"\":\"\"\"\"}\"")).utf8), 2, "body",
      "empty"
    ),
    (
      "impossible date",
      Array((DecidimFixture.header + DecidimFixture.row("1", "2021-02-30T10:00:00+01:00")).utf8), 2,
      "created_at", "2021-02-30T10:00:00+01:00"
    ),
    (
      "date without offset",
      Array((DecidimFixture.header + DecidimFixture.row("1", "2021-03-04 10:00:00")).utf8), 2, "created_at",
      "UTC offset"
    ),
    (
      "duplicate id",
      Array((DecidimFixture.header + DecidimFixture.row("1") + DecidimFixture.row("1")).utf8), 3, "id",
      "duplicate id"
    ),
    (
      "field count", Array((DecidimFixture.header + "1;2021-03-04T10:15:00Z;hi\n").utf8), 2, nil,
      "record has 3 fields"
    ),
    (
      "bad locale", Array((DecidimFixture.header + DecidimFixture.row("1", locale: "e n")).utf8), 2, "locale",
      "not a language tag"
    ),
    ("UTF-16", [0xFF, 0xFE, 0x69, 0x00], 1, nil, "UTF-16"),
  ]

  @Test(arguments: hostile)
  func hostileInputIsRefused(_ name: String, _ bytes: [UInt8], _ line: Int?, _ column: String?, _ message: String)
    throws
  {
    let file = try dir.write("comments.csv", bytes: bytes)
    let error = try #require(throws: ImportError.self, "\(name)") { try readAll(DecidimSource(file)) }
    #expect(error.file == file.path)
    #expect(error.line == line, "\(name): \(error)")
    #expect(error.column == column, "\(name): \(error)")
    #expect(error.message.contains(message), "\(name): \(error)")
  }

  // Not in `hostile`: Swift Testing would print the megabyte argument in every report.
  @Test func anOversizedFieldIsRefused() throws {
    let body = String(repeating: "x", count: 1_000_001)
    let file = try dir.write("comments.csv", DecidimFixture.header + DecidimFixture.row("1", body: body))
    let error = try #require(throws: ImportError.self) { try readAll(DecidimSource(file)) }
    #expect(error.line == 2 && error.column == "body", "\(error)")
    #expect(error.message.contains("the limit is 1,000,000 bytes"), "\(error)")
  }

  @Test func skippingReportsInvalidRecordsAndReadsTheRest() throws {
    let file = try dir.write(
      "comments.csv",
      DecidimFixture.header + DecidimFixture.row("1") + DecidimFixture.row("2", body: " ")
        + DecidimFixture.row("3", "yesterday") + DecidimFixture.row("4", body: "x\u{0}y") + DecidimFixture.row("1")
        + DecidimFixture.row("5"))
    let (records, errors) = try readSkipping(DecidimSource(file))
    #expect(records.map(\.sourceID) == ["1", "5"])
    #expect(errors.map(\.line) == [3, 4, 5, 6])
    #expect(errors.map(\.column) == ["body", "created_at", "body", "id"])
  }

  @Test func skippingStillRefusesBrokenQuoting() throws {
    let file = try dir.write(
      "comments.csv", DecidimFixture.header + DecidimFixture.row("1") + DecidimFixture.row("2", body: "\"a\"b"))
    let error = try #require(throws: ImportError.self) { try readSkipping(DecidimSource(file)) }
    #expect(error.line == 3 && error.message.contains("broken CSV quoting"))
  }
}
