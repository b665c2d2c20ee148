import ConsultCore
import Foundation

/// A Decidim open-data comments export (`*_comments.csv` in the participatory space's open-data
/// ZIP, written by Decidim's `Decidim::Comments::CommentSerializer`).
///
/// The file is UTF-8 (a byte-order mark is allowed; Windows-1252 on request) with `;` between
/// fields, LF or CRLF line endings, and the header
/// `id;created_at;body;locale;author/id;author/name;alignment;depth;user_group/id;user_group/name;commentable_id;commentable_type;root_commentable_url`.
/// `id`, `created_at` and `body` are required; the other columns are read when present
/// (`alignment`, `depth`, `user_group/id`, `commentable_id` and `commentable_type` are ignored).
public struct DecidimSource: SkippingSubmissionSource {
  /// The comments CSV.
  public let commentsFile: URL
  /// The file's character encoding.
  public let encoding: SourceEncoding

  /// Uses `file` as it is; ``read(invalid:_:)`` validates it.
  public init(_ file: URL, encoding: SourceEncoding = .utf8) {
    commentsFile = file
    self.encoding = encoding
  }

  /// `decidim`.
  public var format: String { "decidim" }
  /// The comments file.
  public var mainFile: URL { commentsFile }
  /// `decidim:FILE NAME`: comment and author ids are unique within one Decidim instance, which the
  /// export does not name; its file name stands for it.
  public var scope: String { "decidim:" + commentsFile.lastPathComponent }

  /// Column names of the Decidim comments export.
  enum Column {
    static let id = "id"
    static let createdAt = "created_at"
    static let body = "body"
    static let locale = "locale"
    static let authorID = "author/id"
    static let authorName = "author/name"
    static let groupName = "user_group/name"
    static let url = "root_commentable_url"
  }

  /// Reads every comment in file order.
  ///
  /// Each record: `sourceID` = `id`; `text` = `body`, which is either plain text or a JSON
  /// object of locale → text (`{"en":"…"}`, or the Ruby-hash spelling `{"en"=>"…"}` of older
  /// exports), of which the entry for the row's `locale` is taken, else the first string entry
  /// in the object (CRLF → LF); `receivedAt` and `postedAt` = `created_at`, an ISO 8601 / RFC
  /// 3339 date-time with its UTC offset (`2021-03-04T10:15:00+01:00`, `Z`; a space for `T`, no
  /// seconds, `+0100` and `+01` also accepted: ``WrittenTime/parse(_:separator:)``), which is
  /// that instant (``LocalTimeResolver``; a value without an offset is refused, so no local time
  /// is ever guessed); `language` = `locale`
  /// lowercased; `authorKey` = `author/id` (the same id is the same person; people are never
  /// merged by name), `authorName` = `author/name` (a public display name);
  /// `organisation` = `user_group/name`; `sourceURL` = `root_commentable_url`.
  ///
  /// - Parameters:
  ///   - invalid: receives each record-level error (an empty or duplicate `id`, empty text, an
  ///     unparseable `created_at`, an invalid `locale`, a row with another field count than the
  ///     header, a NUL byte, a field over 1,000,000 bytes) and reading goes on.
  ///   - body: called with each valid record.
  /// - Throws: ``ImportError`` for file-level errors: no header row naming `id` and `body`
  ///   within the first 25 non-empty rows, a missing required column, broken quoting, invalid
  ///   UTF-8 (or bytes Windows-1252 does not define), UTF-16; and what `invalid` or `body` throw.
  public func read(
    invalid: (ImportError) throws -> Void, _ body: (SubmissionRecord) throws -> Void
  ) throws {
    let rows = try CSVRowReader(url: commentsFile, delimiter: 0x3B, encoding: encoding)
    let file = commentsFile.path
    let header = try CSVHeader.read(
      rows, identifying: [Column.id, Column.body], required: [Column.id, Column.createdAt, Column.body],
      optional: [Column.locale, Column.authorID, Column.authorName, Column.groupName, Column.url])
    var seen = SourceIDRegistry()
    try rows.forEachRecord(invalid: invalid) { (row: CSVRow) throws(ImportError) -> SubmissionRecord in
      try header.checkFieldCount(row, in: rows)
      guard let id = header.value(Column.id, in: row) else {
        throw ImportError(file: file, line: row.line, column: Column.id, message: "empty id")
      }
      if let first = seen[id] {
        throw ImportError(
          file: file, line: row.line, column: Column.id, message: "duplicate id \"\(id)\" (first at line \(first))")
      }
      let locale = try FieldCheck.language(
        header.value(Column.locale, in: row), file: file, line: row.line, column: Column.locale)
      let text = Self.text(header.raw(Column.body, in: row) ?? "", locale: locale)
      try FieldCheck.check(text, file: file, line: row.line, column: Column.body)
      guard !text.allSatisfy(\.isWhitespace) else {
        throw ImportError(file: file, line: row.line, column: Column.body, message: "empty comment text")
      }
      let written = header.value(Column.createdAt, in: row) ?? ""
      // With its offset the time is one instant; no zone is involved (LocalTimeResolver's rule).
      guard let fields = WrittenTime.parse(written), fields.offset != nil,
        let created = try? LocalTimeResolver.utc.instant(fields)
      else {
        throw ImportError(
          file: file, line: row.line, column: Column.createdAt,
          message: "created_at \"\(written)\" is not an ISO 8601 date-time with a UTC offset "
            + "(e.g. 2021-03-04T10:15:00+01:00)")
      }
      seen[id] = row.line
      var record = SubmissionRecord(
        sourceID: id, text: text, organisation: header.value(Column.groupName, in: row), postedAt: created,
        receivedAt: created, sourceURL: header.value(Column.url, in: row), line: row.line)
      record.authorKey = header.value(Column.authorID, in: row)
      record.authorName = header.value(Column.authorName, in: row)
      record.language = locale
      return record
    } _: { record in
      try body(record)
    }
  }

  /// The comment text of a `body` field: the entry for `locale` (else the first string entry) if
  /// `raw` is a JSON object of locale → text or its Ruby-hash spelling (`"en"=>"…"`), else
  /// `raw` itself; CRLF normalised to LF.
  static func text(_ raw: String, locale: String?) -> String {
    let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
    guard trimmed.hasPrefix("{"), trimmed.hasSuffix("}") else { return raw }
    let object =
      parseObject(trimmed)
      ?? (trimmed.contains("\"=>") ? parseObject(trimmed.replacingOccurrences(of: "\"=>", with: "\":")) : nil)
    guard let object else { return raw }
    let texts = object.compactMapValues { $0 as? String }
    guard !texts.isEmpty else { return raw }
    if let locale, let text = texts[locale] ?? texts.first(where: { $0.key.lowercased() == locale })?.value {
      return RegulationsGovSource.normaliseNewlines(text)
    }
    // JSONSerialization does not keep key order: find the key written first.
    let first = texts.keys.min { a, b in
      (trimmed.range(of: "\"\(a)\"")?.lowerBound ?? trimmed.endIndex)
        < (trimmed.range(of: "\"\(b)\"")?.lowerBound ?? trimmed.endIndex)
    }!
    return RegulationsGovSource.normaliseNewlines(texts[first]!)
  }

  /// `text` parsed by Foundation's JSONSerialization as a JSON object, or `nil`.
  private static func parseObject(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
  }
}
