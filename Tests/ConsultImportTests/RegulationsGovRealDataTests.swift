import Foundation
import Testing

@testable import ConsultImport

/// The real regulations.gov export in shared/realdata, beside the project root.
enum RealData {
  /// `shared/realdata/regulations-gov-usda-2017-0002`, found from this file's path (symlinks
  /// resolved): Tests/ConsultImportTests/ → project root → its sibling `shared`.
  static let directory: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent()  // ConsultImportTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()  // project root
    .deletingLastPathComponent()  // its parent
    .appendingPathComponent("shared/realdata/regulations-gov-usda-2017-0002", isDirectory: true)

  static let docket = directory.appendingPathComponent("docket-example.csv")
  static let texts = directory.appendingPathComponent("text-comments-example.csv")

  static var available: Bool {
    FileManager.default.fileExists(atPath: docket.path)
      && FileManager.default.fileExists(atPath: texts.path)
  }
}

@Suite(
  "regulations.gov real export (USDA-2017-0002)",
  .enabled(
    if: RealData.available,
    "real data not found at shared/realdata/regulations-gov-usda-2017-0002 beside the project root"
  ))
struct RegulationsGovRealDataTests {
  static let records: Result<[SubmissionRecord], any Error> = Result {
    try Docket.readAll(RegulationsGovSource.locate(RealData.directory))
  }

  func record(_ id: String) throws -> SubmissionRecord {
    try #require(try Self.records.get().first { $0.sourceID == id })
  }

  @Test func locateFindsBothFilesFromTheDirectory() throws {
    let source = try RegulationsGovSource.locate(RealData.directory)
    #expect(source.docketFile.lastPathComponent == "docket-example.csv")
    #expect(source.textsFile?.lastPathComponent == "text-comments-example.csv")
  }

  @Test func locateFindsTheTextsNextToTheDocketFile() throws {
    let source = try RegulationsGovSource.locate(RealData.docket)
    #expect(source.docketFile == RealData.docket)
    #expect(source.textsFile?.lastPathComponent == "text-comments-example.csv")
  }

  @Test func readsAll200RecordsWith199Texts() throws {
    let records = try Self.records.get()
    #expect(records.count == 200)
    #expect(Set(records.map(\.sourceID)).count == 200)
    #expect(records.filter { $0.text != nil }.count == 199)
    #expect(records.first?.sourceID == "USDA-2017-0002-2889")
    #expect(records.first?.line == 6)
    #expect(records.map(\.line) == records.map(\.line).sorted())
    #expect(records.filter { $0.documentType == "PUBLIC SUBMISSIONS" }.count == 199)
    #expect(records.filter { $0.attachmentCount == 1 }.count == 10)
    #expect(records.filter { $0.attachmentCount == nil }.count == 190)
    #expect(records.allSatisfy { $0.postedAt != nil && $0.receivedAt != nil })
    #expect(
      records.allSatisfy { $0.sourceURL == "https://www.regulations.gov/document?D=\($0.sourceID)" }
    )
  }

  @Test func theRuleDocumentHasNoText() throws {
    let rule = try record("USDA-2017-0002-0001")
    #expect(rule.text == nil)
    #expect(rule.documentType == "PROPOSED RULES")
    #expect(rule.title == "Identifying Regulatory Reform Initiatives")
    #expect(rule.firstName == nil && rule.lastName == nil && rule.organisation == nil)
    #expect(rule.line == 24)
  }

  @Test func organisationsKeepTheirTrailingComma() throws {
    let records = try Self.records.get()
    #expect(records.filter { $0.organisation != nil }.count == 9)
    let glenn = try record("USDA-2017-0002-0428")
    #expect(glenn.organisation == "Glenn's Market & Catering,")
    #expect(glenn.firstName == "Glenn" && glenn.lastName == "Roberts")
    #expect(glenn.line == 85)
    #expect(records.contains { $0.organisation == "Duke University" })
  }

  @Test func datesAreMidnightInNewYork() throws {
    let sartain = try record("USDA-2017-0002-2889")
    #expect(sartain.title == "Comment from Thomas Sartain")
    #expect(sartain.firstName == "Thomas" && sartain.lastName == "Sartain")
    #expect(sartain.postedAt == utc(2018, 6, 7, 4))
    #expect(sartain.receivedAt == utc(2018, 6, 5, 4))
    // Winter dates are EST, UTC-5.
    let eastwood = try record("USDA-2017-0002-0178")
    #expect(eastwood.postedAt == utc(2017, 11, 15, 5))
    #expect(eastwood.attachmentCount == 1)
  }

  @Test func multiLineTextsAreIntact() throws {
    let records = try Self.records.get()
    let sartain = try record("USDA-2017-0002-2889")
    #expect(
      sartain.text
        == "Workfare NOT Welfare! For those with two good hands and two good feet! Hell YES.\n"
        + "Re: Supplemental Nutrition Assistance Program: Requirements and Services for "
        + "Able-Bodied Adults without Dependents (previously under Docket ID FNS-2018-0004-0001)")
    #expect(records.filter { $0.text?.contains("\n") == true }.count == 181)
    #expect(records.allSatisfy { $0.text?.contains("\r") != true })
    #expect(records.compactMap { $0.text?.count }.max() ?? 0 > 4_000)
  }
}
