import Foundation
import Testing

@testable import ConsultImport

/// A hand-written Have Your Say feedback export, following the published field layout.
enum HaveYourSayFixture {
  /// One record as JSON; `extra` is spliced in verbatim (e.g. `"x": 1,`).
  static func record(
    _ id: String = "2001", date: String = "2021/07/01 12:30:00", feedback: String = "\"Summer text\"",
    language: String = "\"EN\"", extra: String = ""
  ) -> String {
    """
    {"id": \(id), "referenceInitiative": "PLAN/2020/1234", "dateFeedback": "\(date)", \(extra)
     "feedback": \(feedback), "language": \(language), "userType": "EU_CITIZEN", "country": "BEL",
     "companySize": null, "firstName": "Jan", "surname": "Peeters", "organization": null,
     "trNumber": null, "attachments": [], "publicationId": 17}
    """
  }

  static let good = """
    [
    \(record()),
    {"id": "2002", "referenceInitiative": "PLAN/2020/1234", "dateFeedback": "2021/01/15 12:30:00",
     "feedback": "Winter\\r\\ntext with \\"quotes\\" and ] } brackets", "language": "DE", "userType": "NGO",
     "country": "DEU", "companySize": "SMALL", "firstName": null, "surname": null,
     "organization": "Umwelt e.V.", "trNumber": "123456789-01",
     "attachments": [{"id": 1, "fileName": "position.pdf"}, {"id": 2, "fileName": "annex.pdf"}], "publicationId": 17},
    \(record("2003", date: "2021/10/31 02:30:00", feedback: "\"Ambiguous hour\"", language: "null"))
    ]
    """
}

@Suite("Have Your Say feedback JSON")
struct HaveYourSayTests {
  let dir: FixtureDirectory
  init() throws { dir = try FixtureDirectory() }

  func check(_ records: [SubmissionRecord]) {
    #expect(records.map(\.sourceID) == ["2001", "2002", "2003"])
    #expect(records.map(\.line) == [2, 6, 11])
    // Brussels is UTC+2 in summer, UTC+1 in winter.
    #expect(records[0].receivedAt == utc(2021, 7, 1, 10).addingTimeInterval(1_800))
    #expect(records[1].receivedAt == utc(2021, 1, 15, 11).addingTimeInterval(1_800))
    // 02:30 happens twice on 31 October 2021: the earlier (summer-time) instant.
    #expect(records[2].receivedAt == utc(2021, 10, 31, 0).addingTimeInterval(1_800))
    #expect(records[0].text == "Summer text" && records[0].language == "en")
    #expect(records[0].firstName == "Jan" && records[0].lastName == "Peeters" && records[0].organisation == nil)
    #expect(records[0].attachmentCount == nil && records[0].authorKey == nil)
    #expect(records[1].text == "Winter\ntext with \"quotes\" and ] } brackets")
    #expect(records[1].organisation == "Umwelt e.V." && records[1].firstName == nil)
    #expect(records[1].attachmentCount == 2 && records[1].language == "de")
    #expect(records[2].language == nil)
  }

  @Test func readsAnArrayOfRecords() throws {
    check(try readAll(HaveYourSaySource(try dir.write("feedback.json", HaveYourSayFixture.good))))
  }

  @Test func readsTheFeedbackArrayOfAnObjectWithBOMAndCRLF() throws {
    let text =
      "{\"meta\": {\"feedback\": [1, 2], \"note\": \"feedback\"}, \"total\": 3,\n\"feedback\": "
      + HaveYourSayFixture.good.replacingOccurrences(of: "\n", with: "\n", options: [], range: nil) + "}"
    let lines = text.components(separatedBy: "\n")
    // The array starts on line 2 here, so every record is one line further down.
    let file = try dir.write(
      "feedback.json", bytes: [0xEF, 0xBB, 0xBF] + Array(lines.joined(separator: "\r\n").utf8))
    let records = try readAll(HaveYourSaySource(file))
    #expect(records.map(\.line) == [3, 7, 12])
    #expect(records.map(\.sourceID) == ["2001", "2002", "2003"])
  }

  @Test func anEmptyArrayHasNoRecords() throws {
    #expect(try readAll(HaveYourSaySource(try dir.write("feedback.json", " [ ] \n"))).isEmpty)
  }

  static let hostile: [(String, String, Int?, String?, String)] = [
    ("not an array", "\"hello\"", 1, nil, "not a JSON array"),
    ("empty file", "", 1, nil, "empty file"),
    ("no feedback array", "{\"data\": [], \"feedback\": 3}", 1, nil, "no \"feedback\" array"),
    (
      "string never closed", "[\n\(HaveYourSayFixture.record())\n,{\"id\": 1, \"feedback\": \"abc", 6, nil, "not closed"
    ),
    ("array never closed", "[\n\(HaveYourSayFixture.record())\n", 6, nil, "not closed with ]"),
    (
      "missing comma", "[\n\(HaveYourSayFixture.record())\n\(HaveYourSayFixture.record("2"))]", 6, nil,
      "expected , or ]"
    ),
    ("not an object", "[1]", 1, nil, "expected a record object"),
    ("invalid JSON", "[\n{\"id\": 1, \"feedback\": tru}]", 2, nil, "invalid JSON"),
    ("missing id", "[\n\(HaveYourSayFixture.record("null"))]", 2, "id", "missing or empty id"),
    ("duplicate id", "[\(HaveYourSayFixture.record()),\n\(HaveYourSayFixture.record())]", 5, "id", "duplicate id"),
    ("empty feedback", "[\n\(HaveYourSayFixture.record(feedback: "\" \\n \""))]", 2, "feedback", "empty feedback"),
    ("wrong type", "[\n\(HaveYourSayFixture.record(feedback: "[\"a\"]"))]", 2, "feedback", "not a string"),
    (
      "impossible date", "[\n\(HaveYourSayFixture.record(date: "2021/02/30 10:00:00"))]", 2, "dateFeedback",
      "2021/02/30"
    ),
    (
      "skipped hour", "[\n\(HaveYourSayFixture.record(date: "2021/03/28 02:30:00"))]", 2, "dateFeedback",
      "dateFeedback \"2021/03/28 02:30:00\" does not exist in Europe/Brussels "
        + "(clocks went forward from 02:00 to 03:00 that night)"
    ),
    ("ISO date", "[\n\(HaveYourSayFixture.record(date: "2021-03-28T10:30:00"))]", 2, "dateFeedback", "YYYY/MM/DD"),
    ("escaped NUL", "[\n\(HaveYourSayFixture.record(feedback: "\"a\\u0000b\""))]", 2, "feedback", "NUL byte"),
    ("raw NUL", "[\n\(HaveYourSayFixture.record(feedback: "\"a\u{0}b\""))]", 2, nil, "NUL byte"),
    ("bad language", "[\n\(HaveYourSayFixture.record(language: "\"English!\""))]", 2, "language", "language tag"),
  ]

  @Test(arguments: hostile)
  func hostileInputIsRefused(_ name: String, _ text: String, _ line: Int?, _ column: String?, _ message: String)
    throws
  {
    let file = try dir.write("feedback.json", text)
    let error = try #require(throws: ImportError.self, "\(name)") { try readAll(HaveYourSaySource(file)) }
    #expect(error.file == file.path)
    #expect(error.line == line, "\(name): \(error)")
    #expect(error.column == column, "\(name): \(error)")
    #expect(error.message.contains(message), "\(name): \(error)")
  }

  // Not in `hostile`: Swift Testing would print the megabyte argument in every report.
  @Test func anOversizedFieldIsRefused() throws {
    let feedback = "\"" + String(repeating: "x", count: 1_000_001) + "\""
    let file = try dir.write("feedback.json", "[\n\(HaveYourSayFixture.record(feedback: feedback))]")
    let error = try #require(throws: ImportError.self) { try readAll(HaveYourSaySource(file)) }
    #expect(error.line == 2 && error.column == "feedback", "\(error)")
    #expect(error.message.contains("the limit is 1,000,000 bytes"), "\(error)")
  }

  @Test func invalidUTF8AndWindows1252() throws {
    let bytes =
      Array("[\n{\"id\": 1, \"dateFeedback\": \"2021/07/01 12:30:00\", \"feedback\": \"Caf".utf8) + [0xE9]
      + Array("\"}]".utf8)
    let file = try dir.write("feedback.json", bytes: bytes)
    let error = try #require(throws: ImportError.self) { try readAll(HaveYourSaySource(file)) }
    #expect(error.line == 2 && error.message.contains("invalid UTF-8"))
    #expect(try readAll(HaveYourSaySource(file, encoding: .windows1252)).first?.text == "Café")
  }

  @Test func skippingReportsInvalidRecordsAndReadsTheRest() throws {
    let text = """
      [
      \(HaveYourSayFixture.record("1")),
      \(HaveYourSayFixture.record("2", date: "someday")),
      {"id": 3, "feedback": tru},
      \(HaveYourSayFixture.record("4"))
      ]
      """
    let (records, errors) = try readSkipping(HaveYourSaySource(try dir.write("feedback.json", text)))
    #expect(records.map(\.sourceID) == ["1", "4"])
    #expect(errors.map(\.line) == [6, 10])
    #expect(errors.map(\.column) == ["dateFeedback", nil])
  }

  @Test func theRepeatedAutumnHourIsTheEarlierSummerTimeInstantAsDocumented() throws {
    let text = """
      [
      \(HaveYourSayFixture.record("1", date: "2021/10/31 01:59:59")),
      \(HaveYourSayFixture.record("2", date: "2021/10/31 02:00:00")),
      \(HaveYourSayFixture.record("3", date: "2021/10/31 02:59:59")),
      \(HaveYourSayFixture.record("4", date: "2021/10/31 03:00:00"))
      ]
      """
    let records = try readAll(HaveYourSaySource(try dir.write("feedback.json", text)))
    #expect(
      records.map(\.receivedAt) == [
        utc(2021, 10, 30, 23).addingTimeInterval(3_599), utc(2021, 10, 31, 0),
        utc(2021, 10, 31, 0).addingTimeInterval(3_599), utc(2021, 10, 31, 2),
      ])
  }

  @Test func aSpringGapTimeIsRefusedSayingItDoesNotExist() throws {
    let text = "[\n\(HaveYourSayFixture.record("1", date: "2021/03/28 02:00:00"))]"
    let (records, errors) = try readSkipping(HaveYourSaySource(try dir.write("feedback.json", text)))
    #expect(records.isEmpty)
    #expect(errors.map(\.column) == ["dateFeedback"] && errors.map(\.line) == [2])
    #expect(errors.first?.message.contains("does not exist in Europe/Brussels") == true, "\(errors)")
    #expect(errors.first?.message.contains("that exists") == false, "\(errors)")
  }

  @Test func skippingStillRefusesABrokenStructure() throws {
    let text = "[\n\(HaveYourSayFixture.record("1")),\n\(HaveYourSayFixture.record("2"))\n{"
    #expect(throws: ImportError.self) {
      try readSkipping(HaveYourSaySource(try dir.write("feedback.json", text)))
    }
  }
}
