import Foundation

@testable import ConsultImport

/// A temporary directory for one test's fixture files, removed when the value is released.
final class FixtureDirectory {
  let url: URL

  init() throws {
    url = FileManager.default.temporaryDirectory
      .appendingPathComponent("consult-import-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: url) }

  /// Writes `text` as UTF-8 to `name` in the directory and returns its URL.
  @discardableResult
  func write(_ name: String, _ text: String) throws -> URL {
    try write(name, bytes: Array(text.utf8))
  }

  /// Writes `bytes` to `name` in the directory and returns its URL.
  @discardableResult
  func write(_ name: String, bytes: [UInt8]) throws -> URL {
    let file = url.appendingPathComponent(name)
    try Data(bytes).write(to: file)
    return file
  }
}

/// Builders for small regulations.gov-shaped CSVs.
enum Docket {
  /// The preamble of a regulations.gov export, 4 rows, padded to 10 fields like the header.
  static let preamble = """
    Docket ID,Docket Title,Agency,Docket Type,Petition Number,,,,,
    USDA-2017-0002,Identifying Regulatory Reform Initiatives,USDA,Nonrulemaking,N/A,,,,,
    ,,,,,,,,,
    ,,,,,,,,,

    """

  /// A 10-column header with the required and optional columns in the export's order.
  static let header =
    "Document Title,Document Type,Attachment Count,Submitter Last Name,Submitter First Name,"
    + "Organization,Document ID,Posted Date,Received Date,Document Detail\n"

  /// One docket row matching ``header``.
  static func row(
    _ id: String, title: String = "Comment from Ann Example", type: String = "PUBLIC SUBMISSIONS",
    attachments: String = "N/A", last: String = "Example", first: String = "Ann",
    organisation: String = "N/A", posted: String = "6/7/2018", received: String = "6/5/2018"
  ) -> String {
    [
      title, type, attachments, last, first, organisation, id, posted, received,
      "https://www.regulations.gov/document?D=\(id)",
    ].joined(separator: ",") + "\n"
  }

  /// A complete docket file: preamble, header and `rows`.
  static func file(_ rows: String...) -> String {
    preamble + header + rows.joined()
  }

  /// The text-comments header.
  static let textsHeader = "Document ID,Text Comment\n"

  /// Reads every record of `source`.
  static func readAll(_ source: RegulationsGovSource) throws -> [SubmissionRecord] {
    var records: [SubmissionRecord] = []
    try source.read { records.append($0) }
    return records
  }
}

/// A UTC instant, for comparing dates.
func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int) -> Date {
  var calendar = Calendar(identifier: .gregorian)
  calendar.timeZone = TimeZone(identifier: "UTC")!
  return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour))!
}
