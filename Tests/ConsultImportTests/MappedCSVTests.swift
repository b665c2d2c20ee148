import Foundation
import Testing

@testable import ConsultImport

@Suite("CSV with a mapping file")
struct MappedCSVTests {
  let dir: FixtureDirectory
  init() throws { dir = try FixtureDirectory() }

  static let mappingText = """
    id: Reference
    text: Comment
    author: Name
    author-id: Respondent
    organisation: Organisation
    date: Submitted
    date-format: dd.MM.yyyy HH:mm
    time-zone: Europe/Berlin
    language: Lang
    delimiter: ";"
    """

  static let header = "Reference;Respondent;Name;Organisation;Submitted;Lang;Comment\n"

  func source(_ csv: String, mapping: String = mappingText) throws -> MappedCSVSource {
    MappedCSVSource(
      try dir.write("input.csv", csv), mapping: try CSVMapping.parse(mapping, file: "mapping.yaml"))
  }

  @Test func parsesTheMappingFile() throws {
    let mapping = try CSVMapping.parse(Self.mappingText, file: "m.yaml")
    #expect(
      mapping
        == CSVMapping(
          id: "Reference", text: "Comment", author: "Name", authorID: "Respondent", organisation: "Organisation",
          date: "Submitted", dateFormat: "dd.MM.yyyy HH:mm", timeZone: "Europe/Berlin", language: "Lang",
          delimiter: 0x3B))
    #expect(try CSVMapping.parse("id: a\ntext: b", file: "m") == CSVMapping(id: "a", text: "b"))
  }

  @Test(arguments: [
    ("id: a\n", "missing required key \"text\""),
    ("id: a\ntext: b\nauthor_name: c\n", "unknown key \"author_name\""),
    ("id: a\ntext: b\ntime-zone: Mars/Olympus\n", "unknown time zone"),
    ("id: a\ntext: b\ndate: c\ndate-format: yyyy-MM-dd HH:mm VV\n", "may not name a time zone"),
    ("id: a\ntext: b\ndelimiter: \";;\"\n", "delimiter must be one ASCII character"),
    ("- id\n- text\n", "must be a YAML mapping"),
    ("id: [a, b]\ntext: c\n", "non-empty string"),
    ("id: a\ntext: b\nid: c\n", "duplicated key"),
  ])
  func badMappingsAreRefused(_ yaml: String, _ message: String) throws {
    let error = try #require(throws: ImportError.self) { try CSVMapping.parse(yaml, file: "m.yaml") }
    #expect(error.file == "m.yaml")
    #expect(error.message.contains(message), "\(error)")
  }

  @Test func readsAMappedFile() throws {
    let records = try readAll(
      source(
        Self.header
          + "R-1;p-1;Ann;  ACME GmbH ;04.03.2021 10:15;DE;Erster Kommentar\n"
          + "R-2;;;;01.07.2021 10:15;;\"Second\r\ncomment\"\n"
          + "R-3;p-1;Ann;;;en;Third\n"))
    #expect(records.map(\.sourceID) == ["R-1", "R-2", "R-3"])
    #expect(records.map(\.line) == [2, 3, 5])
    #expect(records[0].authorName == "Ann" && records[0].authorKey == "p-1")
    #expect(records[0].organisation == "ACME GmbH" && records[0].language == "de")
    #expect(records[0].receivedAt == utc(2021, 3, 4, 9).addingTimeInterval(900))
    #expect(records[1].receivedAt == utc(2021, 7, 1, 8).addingTimeInterval(900))
    #expect(records[1].text == "Second\ncomment" && records[1].authorName == nil && records[1].language == nil)
    #expect(records[2].receivedAt == nil)
  }

  @Test func isoDatesByDefault() throws {
    let records = try readAll(
      source(
        "id,text,when\n1,a,2021-03-04\n2,b,2021-07-01T12:00\n3,c,2021-07-01T12:00:00+02:00\n",
        mapping: "id: id\ntext: text\ndate: when\ntime-zone: Europe/Brussels\n"))
    #expect(records.map(\.receivedAt) == [utc(2021, 3, 3, 23), utc(2021, 7, 1, 10), utc(2021, 7, 1, 10)])
  }

  static let hostile: [(String, String, Int?, String?, String)] = [
    ("no header", "a;b\n1;2\n", 1, "Reference", "the first row (line 1) lacks \"Reference\", \"Comment\""),
    ("missing mapped column", "Reference;Comment;Name\n1;x;y\n", 1, "Respondent", "missing required columns"),
    ("broken quoting", header + "1;;;;;;\"open\n", 2, "Comment", "broken CSV quoting"),
    ("empty text", header + "1;;;;;;\n", 2, "Comment", "empty text"),
    ("empty id", header + " ;;;;;;text\n", 2, "Reference", "empty id"),
    ("bad date", header + "1;;;;2021-03-04;;text\n", 2, "Submitted", "dd.MM.yyyy HH:mm"),
    ("skipped hour", header + "1;;;;28.03.2021 02:30;;text\n", 2, "Submitted", "date"),
    ("NUL byte", header + "1;;;;;;te\u{0}xt\n", 2, "Comment", "NUL byte"),
    ("bad language", header + "1;;;;;english language;text\n", 2, "Lang", "language tag"),
  ]

  @Test(arguments: hostile)
  func hostileInputIsRefused(_ name: String, _ csv: String, _ line: Int?, _ column: String?, _ message: String)
    throws
  {
    let error = try #require(throws: ImportError.self, "\(name)") { try readAll(source(csv)) }
    #expect(error.file.hasSuffix("input.csv"))
    #expect(error.line == line, "\(name): \(error)")
    #expect(error.column == column, "\(name): \(error)")
    #expect(error.message.contains(message), "\(name): \(error)")
  }

  @Test func skippingReportsInvalidRecordsAndReadsTheRest() throws {
    let (records, errors) = try readSkipping(
      source(Self.header + "1;;;;;;one\n2;;;;;;\n3;;;;31.02.2021 10:00;;three\n4;;;;;;four\n"))
    #expect(records.map(\.sourceID) == ["1", "4"])
    #expect(errors.map(\.line) == [3, 4])
    #expect(errors.map(\.column) == ["Comment", "Submitted"])
  }

  @Test("an id, author id, author or organisation over 1,000 bytes is that record's error, naming the field")
  func overlongKeysAreRecordErrors() throws {
    let long = String(repeating: "k", count: SubmissionRecord.maxKeyBytes + 1)
    let (records, errors) = try readSkipping(
      source(
        Self.header + "\(long);;;;;;one\n2;\(long);;;;;two\n3;;\(long);;;;three\n4;;;\(long);;;four\n5;;;;;;five\n"
          + "6;\(String(repeating: "é", count: 500));;;;;six\n"))
    #expect(records.map(\.sourceID) == ["5", "6"])
    #expect(errors.map(\.line) == [2, 3, 4, 5])
    #expect(errors.map(\.column) == ["id", "author id", "author", "organisation"])
    #expect(errors.first?.message == "the id is 1,001 bytes long; an id may be at most 1,000 bytes")
    #expect(errors.last?.message.hasPrefix("the organisation is 1,001 bytes long; an organisation") == true)
  }

  @Test func aTimeSkippedByAClockChangeIsToldApartFromAnImpossibleDate() throws {
    let mapping = "id: id\ntext: text\ndate: when\ntime-zone: Europe/Berlin\n"
    let skipped = try #require(throws: ImportError.self) {
      try readAll(source("id,text,when\n1,hi,2021-03-28 02:30\n", mapping: mapping))
    }
    #expect(skipped.column == "when" && skipped.line == 2)
    #expect(
      skipped.message
        == "date \"2021-03-28 02:30\" does not exist in Europe/Berlin (clocks went forward from 02:00 to 03:00 that night)",
      "\(skipped)")
    let impossible = try #require(throws: ImportError.self) {
      try readAll(source("id,text,when\n1,hi,2021-02-30 10:00\n", mapping: mapping))
    }
    #expect(impossible.message.contains("is not a real date and time"), "\(impossible)")
    #expect(!impossible.message.contains("clocks"), "\(impossible)")
  }

  @Test func aTimeThatHappensTwiceIsARecordLevelErrorNamingLineAndColumn() throws {
    let mapping = "id: id\ntext: text\ndate: when\ntime-zone: Europe/Berlin\n"
    let csv = "id,text,when\n1,one,2021-10-31 01:30\n2,two,2021-10-31 02:30\n3,three,2021-10-31 03:30\n"
    let error = try #require(throws: ImportError.self) { try readAll(source(csv, mapping: mapping)) }
    #expect(error.file.hasSuffix("input.csv") && error.line == 3 && error.column == "when", "\(error)")
    #expect(
      error.message
        == "date \"2021-10-31 02:30\" happens twice in Europe/Berlin: 2021-10-31T02:30+02:00 (summer time) or "
        + "2021-10-31T02:30+01:00 (standard time); give the offset")
    // --skip-invalid: the row is rejected with its line and column, the others are read.
    let (records, errors) = try readSkipping(source(csv, mapping: mapping))
    #expect(records.map(\.sourceID) == ["1", "3"])
    #expect(
      records.map(\.receivedAt) == [
        utc(2021, 10, 30, 23).addingTimeInterval(1_800), utc(2021, 10, 31, 2).addingTimeInterval(1_800),
      ])
    #expect(errors == [error])
  }

  @Test func aWrittenOffsetChoosesBetweenTheTwoInstants() throws {
    let records = try readAll(
      source(
        "id,text,when\n1,a,2021-10-31T02:30+02:00\n2,b,2021-10-31T02:30:00+01:00\n3,c,2021-10-31T02:30Z\n",
        mapping: "id: id\ntext: text\ndate: when\ntime-zone: Europe/Berlin\n"))
    #expect(
      records.map(\.receivedAt) == [
        utc(2021, 10, 31, 0).addingTimeInterval(1_800), utc(2021, 10, 31, 1).addingTimeInterval(1_800),
        utc(2021, 10, 31, 2).addingTimeInterval(1_800),
      ])
  }

  @Test func aDateFormatFollowsTheSameRule() throws {
    // Without an offset field: the fields are local to time-zone, clock changes and all.
    let twice = try #require(throws: ImportError.self) {
      try readAll(source(Self.header + "1;;;;31.10.2021 02:30;;text\n"))
    }
    #expect(twice.line == 2 && twice.column == "Submitted", "\(twice)")
    #expect(twice.message.hasPrefix("date \"31.10.2021 02:30\" happens twice in Europe/Berlin: "), "\(twice)")
    let skipped = try #require(throws: ImportError.self) {
      try readAll(source(Self.header + "1;;;;28.03.2021 02:30;;text\n"))
    }
    #expect(skipped.message.contains("does not exist in Europe/Berlin (clocks went forward"), "\(skipped)")
    let impossible = try #require(throws: ImportError.self) {
      try readAll(source(Self.header + "1;;;;31.04.2021 10:00;;text\n"))
    }
    #expect(impossible.message.contains("does not match the date format"), "\(impossible)")
    // With an offset field the text names its instant.
    let mapping = Self.mappingText.replacingOccurrences(of: "dd.MM.yyyy HH:mm", with: "dd.MM.yyyy HH:mm XXX")
    let records = try readAll(source(Self.header + "1;;;;31.10.2021 02:30 +01:00;;text\n", mapping: mapping))
    #expect(records.first?.receivedAt == utc(2021, 10, 31, 1).addingTimeInterval(1_800))
  }

  @Test func windows1252() throws {
    let file = try dir.write("input.csv", bytes: Array("id,text\n1,na".utf8) + [0xEF, 0x76, 0x65, 0x0A])
    let mapping = CSVMapping(id: "id", text: "text")
    #expect(try readAll(MappedCSVSource(file, mapping: mapping, encoding: .windows1252)).first?.text == "naïve")
    #expect(throws: ImportError.self) { try readAll(MappedCSVSource(file, mapping: mapping)) }
  }

  @Test func theRejectsFileIsCSV() throws {
    let url = dir.url.appendingPathComponent("rejects.csv")
    let rejects = try RejectsFile(url: url)
    try rejects.write(ImportError(file: "in.csv", line: 3, column: "Comment", message: "empty text"))
    try rejects.write(ImportError(file: "in.csv", line: 4, message: "record has 2 fields, \"quoted\""))
    #expect(!FileManager.default.fileExists(atPath: url.path))
    try rejects.close()
    #expect(rejects.count == 2)
    #expect(
      try String(contentsOf: url, encoding: .utf8)
        == "file,line,column,reason\r\nin.csv,3,Comment,empty text\r\nin.csv,4,,\"record has 2 fields, \"\"quoted\"\"\"\r\n"
    )
  }

  @Test func aDiscardedRejectsFileLeavesTheEarlierOneAsItWas() throws {
    let url = try dir.write("rejects.csv", "file,line,column,reason\nold.csv,2,text,empty text\n")
    let rejects = try RejectsFile(url: url)
    try rejects.write(ImportError(file: "in.csv", line: 3, column: "Comment", message: "empty text"))
    rejects.discard()
    #expect(try String(contentsOf: url, encoding: .utf8) == "file,line,column,reason\nold.csv,2,text,empty text\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.contains("partial") } == [])
  }
}
