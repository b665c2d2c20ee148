import ConsultCore
import Foundation
import Testing

@testable import ConsultImport

/// Hand-written fixtures, good and hostile, written into a temporary directory by each test.
@Suite("regulations.gov fixtures")
struct RegulationsGovHostileTests {
  let dir: FixtureDirectory

  init() throws { dir = try FixtureDirectory() }

  /// Writes `docket` (and `texts` when given) and reads them, expecting an ImportError.
  func failure(
    docket: String, texts: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> ImportError? {
    try failure(docketBytes: Array(docket.utf8), texts: texts, sourceLocation: sourceLocation)
  }

  func failure(
    docketBytes: [UInt8], texts: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> ImportError? {
    let docketFile = try dir.write("docket.csv", bytes: docketBytes)
    let textsFile = try texts.map { try dir.write("texts.csv", $0) }
    let source = RegulationsGovSource(docketFile: docketFile, textsFile: textsFile)
    return #expect(throws: ImportError.self, sourceLocation: sourceLocation) {
      try Docket.readAll(source)
    }
  }

  // MARK: - Accepted input

  @Test func readsAWellFormedDocketWithTexts() throws {
    let docket = try dir.write(
      "docket.csv",
      Docket.file(
        Docket.row("D-1", organisation: "\"Glenn's Market & Catering,\"", posted: "2018-06-07"),
        ",,,,,,,,,\n",
        "\n",
        Docket.row("D-2", title: "\"A title\nover two lines\"", attachments: "3", last: " Doe ")))
    let texts = try dir.write(
      "texts.csv", Docket.textsHeader + "D-2,\"first line\nsecond \"\"quoted\"\" line\"\n")
    let records = try Docket.readAll(RegulationsGovSource(docketFile: docket, textsFile: texts))
    #expect(records.count == 2)
    let first = try #require(records.first)
    #expect(first.sourceID == "D-1" && first.line == 6 && first.text == nil)
    #expect(first.organisation == "Glenn's Market & Catering,")
    #expect(first.postedAt == utc(2018, 6, 7, 4))
    #expect(first.attachmentCount == nil)
    let second = try #require(records.last)
    #expect(second.line == 9)
    #expect(second.title == "A title\nover two lines")
    #expect(second.lastName == "Doe")
    #expect(second.attachmentCount == 3)
    #expect(second.text == "first line\nsecond \"quoted\" line")
    #expect(second.sourceURL == "https://www.regulations.gov/document?D=D-2")
  }

  @Test func acceptsBOMAndCRLF() throws {
    let crlf = { (text: String) in text.replacingOccurrences(of: "\n", with: "\r\n") }
    let docket = try dir.write(
      "docket.csv",
      bytes: [0xEF, 0xBB, 0xBF]
        + Array(crlf(Docket.file(Docket.row("D-1"), Docket.row("D-2"))).utf8))
    let texts = try dir.write(
      "texts.csv",
      bytes: [0xEF, 0xBB, 0xBF]
        + Array(crlf(Docket.textsHeader + "D-1,\"one\ntwo\"\nD-2,plain\n").utf8))
    let records = try Docket.readAll(RegulationsGovSource(docketFile: docket, textsFile: texts))
    #expect(records.map(\.sourceID) == ["D-1", "D-2"])
    #expect(records.map(\.line) == [6, 7])
    #expect(records[0].text == "one\ntwo")
    #expect(records[1].text == "plain")
    #expect(records[1].sourceURL == "https://www.regulations.gov/document?D=D-2")
  }

  @Test func acceptsAHeaderWithoutPreambleTrailingPaddingAndNoFinalNewline() throws {
    let docket = try dir.write(
      "docket.csv",
      "Document ID,Document Type,Posted Date,Received Date,Submitter Last Name,"
        + "Submitter First Name,Organization,,\n"
        + "X-1,PUBLIC SUBMISSIONS,1/31/2019,12/31/2018,N/A,n/a,,,\n"
        + "X-2,PUBLIC SUBMISSIONS,2/29/2020,2020-03-01,Doe,Jane,Acme,,")
    let records = try Docket.readAll(RegulationsGovSource(docketFile: docket))
    #expect(records.count == 2)
    #expect(records[0].lastName == nil && records[0].firstName == nil)
    #expect(records[0].title == nil && records[0].attachmentCount == nil)
    #expect(records[0].receivedAt == utc(2018, 12, 31, 5))
    #expect(records[1].postedAt == utc(2020, 2, 29, 5))
    #expect(records[1].receivedAt == utc(2020, 3, 1, 5))
    #expect(records[1].organisation == "Acme")
  }

  /// Several 64 KiB read chunks, with quoted multi-line fields and CRLF straddling their edges.
  @Test func largeFilesKeepLineNumbersAcrossReadChunks() throws {
    let count = 3_000
    let rows = (0..<count).map { Docket.row("D-\($0)", title: "\"Comment\r\nfrom \($0)\"") }
    let docket = try dir.write("docket.csv", Docket.preamble + Docket.header + rows.joined())
    let texts = try dir.write(
      "texts.csv",
      Docket.textsHeader
        + (0..<count).map { "D-\($0),\"text \($0)\r\n\"\"quoted\"\", with comma\"\r\n" }.joined())
    let records = try Docket.readAll(RegulationsGovSource(docketFile: docket, textsFile: texts))
    #expect(records.count == count)
    #expect(records.indices.allSatisfy { records[$0].line == 6 + 2 * $0 })
    #expect(records.last?.title == "Comment\nfrom \(count - 1)")
    #expect(records.last?.text == "text \(count - 1)\n\"quoted\", with comma")
  }

  @Test func aQuotingErrorNearTheEndOfALargeFileIsReportedAtItsLine() throws {
    let rows = (0..<3_000).map { Docket.row("D-\($0)", title: "\"Comment\nfrom \($0)\"") }
    var seen = 0
    let docket = try dir.write(
      "docket.csv",
      Docket.preamble + Docket.header + rows.joined() + Docket.row("D-X", title: "\"a\"b"))
    let error = #expect(throws: ImportError.self) {
      try RegulationsGovSource(docketFile: docket).read { _ in seen += 1 }
    }
    #expect(error?.line == 6 + 2 * 3_000)
    #expect(seen == 3_000)
  }

  @Test func anErrorFromTheBodyStopsReading() throws {
    struct Stop: Error {}
    let docket = try dir.write("docket.csv", Docket.file(Docket.row("D-1"), Docket.row("D-2")))
    var seen = 0
    #expect(throws: Stop.self) {
      try RegulationsGovSource(docketFile: docket).read { _ in
        seen += 1
        throw Stop()
      }
    }
    #expect(seen == 1)
  }

  // MARK: - Header

  @Test func noHeaderRow() throws {
    let error = try failure(docket: Docket.preamble + Docket.row("D-1"))
    #expect(error?.message.contains("header row not found") == true)
    #expect(error?.file.hasSuffix("docket.csv") == true)
  }

  @Test func emptyFile() throws {
    let error = try failure(docket: "")
    #expect(error?.message.contains("header row not found") == true)
  }

  @Test func missingRequiredColumn() throws {
    let header = Docket.header.replacingOccurrences(of: "Posted Date", with: "Posted")
    let error = try failure(docket: Docket.preamble + header + Docket.row("D-1"))
    #expect(error?.line == 5)
    #expect(error?.column == "Posted Date")
    #expect(error?.message.contains("missing required column") == true)
  }

  @Test func textsFileWithoutTextColumn() throws {
    let error = try failure(
      docket: Docket.file(Docket.row("D-1")), texts: "Document ID,Comment\nD-1,hello\n")
    #expect(error?.file.hasSuffix("texts.csv") == true)
    #expect(error?.column == "Text Comment")
  }

  // MARK: - CSV level

  @Test func unterminatedQuote() throws {
    let error = try failure(
      docket: Docket.file(
        Docket.row("D-1"), Docket.row("D-2", title: "\"never closed"), Docket.row("D-3")))
    #expect(error?.line == 7)
    #expect(error?.column == "Document Title")
    #expect(error?.message.contains("broken CSV quoting") == true)
  }

  @Test func unterminatedQuoteInTheLastFieldOfTheTextFile() throws {
    let error = try failure(
      docket: Docket.file(Docket.row("D-1"), Docket.row("D-2")),
      texts: Docket.textsHeader + "D-1,fine\nD-2,\"runs\nto the end")
    #expect(error?.file.hasSuffix("texts.csv") == true)
    #expect(error?.line == 3)
    #expect(error?.column == "Text Comment")
  }

  /// CSV.swift would drop the `j`, stay inside the quoted field and merge the record with the
  /// next one (or run to the end of the file); the quote check stops that.
  @Test(arguments: ["\"x\"", "plain"])
  func characterAfterAClosingQuote(nextTitle: String) throws {
    let error = try failure(
      docket: Docket.file(
        Docket.row("D-0"), Docket.row("D-1", title: "\"quoted\"junk"),
        Docket.row("D-2", title: nextTitle)))
    #expect(error?.line == 7)
    #expect(error?.column == "Document Title")
    #expect(error?.message.contains("broken CSV quoting: 'j' after the closing quote") == true)
  }

  @Test func spaceAfterAClosingQuoteInTheHeader() throws {
    let header = Docket.header.replacingOccurrences(of: "Organization,", with: "\"Organization\" ,")
    let error = try failure(docket: Docket.preamble + header + Docket.row("D-1"))
    #expect(error?.line == 5)
    #expect(error?.column == "6")
  }

  @Test func quotedFieldsWithCommasQuotesAndLineBreaksAreFine() throws {
    let docket = try dir.write(
      "docket.csv",
      "\u{FEFF}\"Document ID\",Document Type,Posted Date,Received Date,Submitter Last Name,"
        + "Submitter First Name,\"Organization\"\r\n"
        + "\"X-1\",\"\",\"6/7/2018\",N/A,\"O'Brien, \"\"Jr\"\"\",\"Line\r\nbreak\",5\" pipe\r\n"
        + "X-2,,,,,,\"\"\"\"")
    let records = try Docket.readAll(RegulationsGovSource(docketFile: docket))
    #expect(records.map(\.line) == [2, 4])
    #expect(records[0].lastName == "O'Brien, \"Jr\"")
    #expect(records[0].firstName == "Line\nbreak")
    #expect(records[0].organisation == "5\" pipe")
    #expect(records[0].documentType == nil)
    #expect(records[1].organisation == "\"")
  }

  @Test func invalidUTF8() throws {
    var bytes = Array(Docket.file(Docket.row("D-1")).utf8)
    bytes += Array("Comment from ".utf8) + [0xC3, 0x28] + Array(Docket.row("D-2").utf8)
    let error = try failure(docketBytes: bytes)
    #expect(error?.line == 7)
    #expect(error?.message.contains("invalid UTF-8") == true)
  }

  @Test func utf16IsRejected() throws {
    let bytes: [UInt8] =
      [0xFF, 0xFE]
      + Docket.file(Docket.row("D-1")).utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    let error = try failure(docketBytes: bytes)
    #expect(error?.message.contains("UTF-16") == true)
  }

  @Test func nulByte() throws {
    let error = try failure(
      docket: Docket.file(Docket.row("D-1"), Docket.row("D-2", last: "Do\u{0}e")))
    #expect(error?.line == 7)
    #expect(error?.column == "Submitter Last Name")
    #expect(error?.message.contains("NUL") == true)
  }

  @Test func wrongFieldCount() throws {
    let error = try failure(docket: Docket.file(Docket.row("D-1"), "D-2,PUBLIC SUBMISSIONS\n"))
    #expect(error?.line == 7)
    #expect(error?.message.contains("2 fields") == true)
  }

  @Test func fieldOverOneMillionBytes() throws {
    let big = String(repeating: "x", count: 1_000_001)
    let error = try failure(
      docket: Docket.file(Docket.row("D-1")), texts: Docket.textsHeader + "D-1,\(big)\n")
    #expect(error?.line == 2)
    #expect(error?.column == "Text Comment")
    #expect(error?.message.contains("1,000,000 bytes") == true)
  }

  // MARK: - Identifiers and values

  @Test func duplicateDocumentIDInDocket() throws {
    let error = try failure(
      docket: Docket.file(Docket.row("D-1"), Docket.row("D-2"), Docket.row("D-1")))
    #expect(error?.line == 8)
    #expect(error?.column == "Document ID")
    #expect(error?.message.contains("duplicate Document ID \"D-1\" (first at line 6)") == true)
  }

  @Test func duplicateDocumentIDInTexts() throws {
    let error = try failure(
      docket: Docket.file(Docket.row("D-1")), texts: Docket.textsHeader + "D-1,a\nD-1,b\n")
    #expect(error?.file.hasSuffix("texts.csv") == true)
    #expect(error?.line == 3)
  }

  @Test func emptyDocumentID() throws {
    let error = try failure(docket: Docket.file(Docket.row("D-1"), Docket.row(" ")))
    #expect(error?.line == 7)
    #expect(error?.message.contains("empty Document ID") == true)
  }

  @Test(arguments: [
    "13/1/2018", "2/30/2018", "2/29/2019", "6/7/18", "6/7/2018 10:00", "2018-6-7", "yesterday",
  ])
  func badDateNamesColumnAndValue(date: String) throws {
    let error = try failure(
      docket: Docket.file(Docket.row("D-1"), Docket.row("D-2", received: date)))
    #expect(error?.line == 7)
    #expect(error?.column == "Received Date")
    #expect(error?.message.contains("\"\(date)\"") == true)
    #expect(error?.message.contains("Received Date") == true)
  }

  @Test func badAttachmentCount() throws {
    let error = try failure(docket: Docket.file(Docket.row("D-1", attachments: "-1")))
    #expect(error?.column == "Attachment Count")
  }

  @Test func orphanText() throws {
    let error = try failure(
      docket: Docket.file(Docket.row("D-1")),
      texts: Docket.textsHeader + "D-1,hello\nD-9,nobody\n")
    #expect(error?.file.hasSuffix("texts.csv") == true)
    #expect(error?.line == 3)
    #expect(error?.column == "Document ID")
    #expect(error?.message.contains("D-9") == true)
  }

  @Test func errorDescriptionNamesFileLineAndColumn() {
    let error = ImportError(file: "d.csv", line: 7, column: "Posted Date", message: "bad")
    #expect(error.description == "d.csv:7: column \"Posted Date\": bad")
    #expect(ImportError(file: "d.csv", message: "gone").description == "d.csv: gone")
  }
}

@Suite("regulations.gov locate")
struct RegulationsGovLocateTests {
  let dir: FixtureDirectory

  init() throws { dir = try FixtureDirectory() }

  @Test func directoryWithBothFiles() throws {
    let docket = try dir.write("export.csv", Docket.file(Docket.row("D-1")))
    let texts = try dir.write("comments.csv", Docket.textsHeader + "D-1,hi\n")
    try dir.write("notes.txt", "Document ID,Text Comment\n")
    try dir.write("other.csv", "a,b\n1,2\n")
    let source = try RegulationsGovSource.locate(dir.url)
    #expect(source.docketFile.lastPathComponent == docket.lastPathComponent)
    #expect(source.textsFile?.lastPathComponent == texts.lastPathComponent)
  }

  @Test func docketFileAloneHasNoTexts() throws {
    let docket = try dir.write("export.csv", Docket.file(Docket.row("D-1")))
    let source = try RegulationsGovSource.locate(docket)
    #expect(source.textsFile == nil)
    #expect(try Docket.readAll(source).map(\.sourceID) == ["D-1"])
  }

  @Test func textsOverride() throws {
    let docket = try dir.write("export.csv", Docket.file(Docket.row("D-1")))
    try dir.write("a.csv", Docket.textsHeader + "D-1,a\n")
    let chosen = try dir.write("b.csv", Docket.textsHeader + "D-1,b\n")
    let source = try RegulationsGovSource.locate(docket, texts: chosen)
    #expect(source.textsFile == chosen)
    #expect(try Docket.readAll(source).first?.text == "b")
    // Without the override, two text files are ambiguous.
    #expect(throws: ImportError.self) { try RegulationsGovSource.locate(docket) }
  }

  @Test func nothingSuitable() throws {
    try dir.write("other.csv", "a,b\n1,2\n")
    let error = #expect(throws: ImportError.self) { try RegulationsGovSource.locate(dir.url) }
    #expect(error?.message.contains("no regulations.gov docket CSV") == true)
    #expect(error?.message.contains("other.csv: header row not found") == true)
    #expect(throws: ImportError.self) {
      try RegulationsGovSource.locate(dir.url.appendingPathComponent("missing.csv"))
    }
  }

  @Test func theTextsFileIsNotADocket() throws {
    let texts = try dir.write("comments.csv", Docket.textsHeader + "D-1,hi\n")
    let error = #expect(throws: ImportError.self) { try RegulationsGovSource.locate(texts) }
    #expect(error?.message.contains("text-comments") == true)
  }

  @Test func aDocketIsNotATextsFile() throws {
    let docket = try dir.write("export.csv", Docket.file(Docket.row("D-1")))
    #expect(throws: ImportError.self) { try RegulationsGovSource.locate(docket, texts: docket) }
  }
}

@Suite("calendar dates")
struct CalendarDateTests {
  @Test func parsesUSAndISODates() throws {
    #expect(CalendarDate.components("6/7/2018")! == (2018, 6, 7))
    #expect(CalendarDate.components("06/07/2018")! == (2018, 6, 7))
    #expect(CalendarDate.components("12/31/1999")! == (1999, 12, 31))
    #expect(CalendarDate.components("2/29/2000")! == (2000, 2, 29))
    #expect(CalendarDate.components("2018-06-07")! == (2018, 6, 7))
  }

  @Test(arguments: [
    "", "0/1/2018", "1/0/2018", "2/29/1900", "4/31/2018", "1/1/0000", "1/1/20188", "1//2018",
    " 6/7/2018", "６/7/2018", "+6/7/2018", "2018-02-30", "2018-13-01", "2018/06/07",
  ])
  func rejects(text: String) {
    #expect(CalendarDate.components(text) == nil)
  }

  @Test func midnightFollowsDaylightSavingTime() throws {
    let eastern = try #require(CalendarDate.eastern)
    #expect(try CalendarDate.midnight((2018, 3, 11), in: eastern) == utc(2018, 3, 11, 5))
    #expect(try CalendarDate.midnight((2018, 3, 12), in: eastern) == utc(2018, 3, 12, 4))
    #expect(try CalendarDate.midnight((2018, 11, 4), in: eastern) == utc(2018, 11, 4, 4))
  }

  @Test func aMidnightSkippedByAClockChangeIsRefused() throws {
    // São Paulo moved its clocks from 00:00 to 01:00 on 4 November 2018 (the same rule as every zone).
    let saoPaulo = try #require(LocalTimeResolver(zoneIdentifier: "America/Sao_Paulo"))
    let error = try #require(throws: LocalTimeError.self) {
      try CalendarDate.midnight((2018, 11, 4), in: saoPaulo, text: "11/4/2018")
    }
    #expect(error.description.contains("11/4/2018 does not exist in America/Sao_Paulo"), "\(error)")
  }
}
