import Foundation

/// A Polis conversation's `comments.csv` from the Polis open-data export (The Computational
/// Democracy Project, github.com/compdemocracy/openData).
///
/// Columns (all required): `timestamp` (epoch milliseconds, UTC), `datetime` (ignored: a
/// `Date.toString()` text in the server's zone), `comment-id` (unique), `author-id`
/// (pseudonymous integer; `0` is the facilitator's seed statements), `agrees`, `disagrees`
/// (ignored), `moderated` (−1 rejected, 0 unmoderated, 1 accepted), `comment-body`.
public struct PolisSource: SkippingSubmissionSource {
  /// The `comments.csv` file.
  public let commentsFile: URL
  /// The file's character encoding.
  public let encoding: SourceEncoding

  /// Uses `path`: the `comments.csv` file itself, or a directory holding it, read in `encoding`.
  public init(_ path: URL, encoding: SourceEncoding = .utf8) {
    self.encoding = encoding
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory), isDirectory.boolValue {
      commentsFile = path.appendingPathComponent("comments.csv")
    } else {
      commentsFile = path
    }
  }

  /// `polis`.
  public var format: String { "polis" }
  /// The comments file.
  public var mainFile: URL { commentsFile }
  /// `polis:CONVERSATION`: comment ids and author ids are numbered per conversation. The
  /// conversation id is read from the export's `summary.csv` beside the comments (its `url` row,
  /// `https://pol.is/ID`); without one, the name of the folder holding `comments.csv`.
  public var scope: String {
    let folder = commentsFile.deletingLastPathComponent()
    if let summary = try? String(contentsOf: folder.appendingPathComponent("summary.csv"), encoding: .utf8) {
      for line in summary.split(whereSeparator: \.isNewline).prefix(20) where line.hasPrefix("url,") {
        let id = line.dropFirst(4).split(separator: "/").last.map(String.init) ?? ""
        if !id.isEmpty, id.utf8.allSatisfy({ $0 < 0x80 && $0 > 0x20 && $0 != 0x22 }) { return "polis:" + id }
      }
    }
    return "polis:" + folder.lastPathComponent
  }

  static let required = ["timestamp", "comment-id", "author-id", "moderated", "comment-body"]

  /// Reads every comment in file order.
  ///
  /// Each record: `sourceID` = `comment-id`; `text` = `comment-body` (CRLF → LF); `receivedAt`
  /// = `timestamp` (ms since 1970-01-01 UTC); `authorKey` = `author-id`, with `authorName`
  /// "Polis participant N" or, for author 0, "Polis facilitator (seed statements)";
  /// `rejectedByModeration` when `moderated` is −1.
  ///
  /// - Parameters:
  ///   - invalid: receives each record-level error and reading goes on: a row with another field
  ///     count; an empty or duplicate `comment-id`; a `timestamp` that is not an integer; a
  ///     `moderated` other than −1, 0, 1; an `author-id` that is not a non-negative integer;
  ///     empty text; a NUL byte; a field over 1,000,000 bytes.
  ///   - body: called with each valid record.
  /// - Throws: ``ImportError`` for an empty file, a missing header column, broken quoting,
  ///   invalid UTF-8 (or bytes Windows-1252 does not define); and what `invalid` or `body` throw.
  public func read(
    invalid: (ImportError) throws -> Void, _ body: (SubmissionRecord) throws -> Void
  ) throws {
    let rows = try CSVRowReader(url: commentsFile, encoding: encoding)
    let file = commentsFile.path
    guard let headerRow = try rows.next() else {
      throw ImportError(file: file, line: 1, message: "empty file: no header row")
    }
    let names = headerRow.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    rows.columnNames = names
    var index: [String: Int] = [:]
    for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
    for column in Self.required where index[column] == nil {
      throw ImportError(
        file: file, line: headerRow.line, column: column,
        message: "missing required column \"\(column)\" (header: \(names.joined(separator: ",")))")
    }
    var seen = SourceIDRegistry()
    try rows.forEachRecord(invalid: invalid) { (row: CSVRow) throws(ImportError) -> SubmissionRecord in
      guard row.fields.count == names.count else {
        throw ImportError(
          file: file, line: row.line,
          message: "row has \(row.fields.count) fields; the header has \(names.count)")
      }
      func field(_ column: String) -> String {
        row.fields[index[column]!].trimmingCharacters(in: .whitespaces)
      }
      let id = field("comment-id")
      guard !id.isEmpty else {
        throw ImportError(file: file, line: row.line, column: "comment-id", message: "empty comment-id")
      }
      if let first = seen[id] {
        throw ImportError(
          file: file, line: row.line, column: "comment-id",
          message: "duplicate comment-id \"\(id)\" (first at line \(first))")
      }
      guard let milliseconds = Int64(field("timestamp")) else {
        throw ImportError(
          file: file, line: row.line, column: "timestamp",
          message: "timestamp \"\(field("timestamp"))\" is not an integer (epoch milliseconds)")
      }
      let moderated = field("moderated")
      guard ["-1", "0", "1"].contains(moderated) else {
        throw ImportError(
          file: file, line: row.line, column: "moderated",
          message: "moderated is \"\(moderated)\"; expected -1, 0 or 1")
      }
      let author = field("author-id")
      guard let authorNumber = Int(author), authorNumber >= 0 else {
        throw ImportError(
          file: file, line: row.line, column: "author-id",
          message: "author-id \"\(author)\" is not a non-negative integer")
      }
      let raw = row.fields[index["comment-body"]!]
      // Foundation's replacingOccurrences is slow on long texts; most have no CRLF at all.
      let text = raw.utf8.contains(13) ? raw.replacingOccurrences(of: "\r\n", with: "\n") : raw
      guard !text.allSatisfy(\.isWhitespace) else {
        throw ImportError(file: file, line: row.line, column: "comment-body", message: "empty comment text")
      }
      var record = SubmissionRecord(
        sourceID: id, text: text,
        receivedAt: Date(timeIntervalSince1970: Double(milliseconds) / 1000), line: row.line)
      record.authorKey = String(authorNumber)
      record.authorName =
        authorNumber == 0 ? "Polis facilitator (seed statements)" : "Polis participant \(authorNumber)"
      record.rejectedByModeration = moderated == "-1"
      seen[id] = row.line
      return record
    } _: { record in
      try body(record)
    }
  }
}
