import ConsultCore
import Foundation

/// One written submission read from an external source, before it is stored.
///
/// A parser such as ``RegulationsGovSource`` produces these; nothing here touches a database.
/// Optional string fields are `nil` when the source leaves them empty or writes its null marker
/// (regulations.gov writes `N/A`); otherwise they hold the value with surrounding whitespace
/// trimmed and CRLF line breaks normalised to LF.
public struct SubmissionRecord: Sendable, Equatable {
  /// The source's identifier for the submission, unique within one source; for regulations.gov
  /// the `Document ID` column, e.g. `USDA-2017-0002-2889`. Never empty.
  public var sourceID: String
  /// The comment text as given, with CRLF normalised to LF and otherwise untouched (no trimming)
  /// except that a source escaping its texts as HTML has its character references decoded
  /// (regulations.gov: `&amp;` → `&`, ``HTMLEntities``). `nil` when the source has no text for
  /// the record, e.g. the rule document of a regulations.gov docket, or when the text is empty or
  /// `N/A`.
  public var text: String?
  /// The document title, e.g. `Comment from Thomas Sartain`.
  public var title: String?
  /// The source's document type, e.g. `PUBLIC SUBMISSIONS` or `PROPOSED RULES`.
  public var documentType: String?
  /// The submitter's first name; `N/A` becomes `nil`; trimmed.
  public var firstName: String?
  /// The submitter's last name; `N/A` becomes `nil`; trimmed.
  public var lastName: String?
  /// The submitter's organisation; `N/A` becomes `nil`; kept as written (a trailing comma inside
  /// the value, as in `Glenn's Market & Catering,`, stays) except surrounding whitespace trimmed.
  public var organisation: String?
  /// When the source published the submission. regulations.gov gives calendar dates only, read
  /// as midnight America/New_York (US Eastern time) of that date.
  public var postedAt: Date?
  /// When the source received the submission; same convention as ``postedAt``.
  public var receivedAt: Date?
  /// The number of attached files the source reports; `nil` when it reports none (`N/A`).
  public var attachmentCount: Int?
  /// The source's web page for the submission (regulations.gov `Document Detail`).
  public var sourceURL: String?
  /// The 1-based physical line in the docket file where the record starts.
  public var line: Int
  /// A stable pseudonymous key for the author within the source (Polis `author-id`); records
  /// with the same key come from one person. `nil` when the source has none: each record's
  /// submitter is then a person of their own.
  public var authorKey: String? = nil
  /// A display name for the author when the source has no personal names (e.g. "Polis
  /// participant 756"); `nil` to use ``firstName`` and ``lastName``.
  public var authorName: String? = nil
  /// Whether the source's moderation rejected the record (Polis `moderated` = −1): it is kept
  /// and counted but must never be published.
  public var rejectedByModeration: Bool = false
  /// The record's own language tag (BCP 47, lowercase, e.g. `en`, `de`) when the source gives
  /// one per record (Decidim `locale`, Have Your Say `language`); `nil` when it does not, and the
  /// importer's language option (or its default) applies.
  public var language: String? = nil
  /// How many bytes of the main file the parser had read from disk when it handed this record
  /// over: the record's end plus the parser's read-ahead (at most 64 KiB), counted in the file's
  /// own bytes (before any Windows-1252 transcoding). For progress estimates only (bytes read ÷
  /// the file's size); `nil` when the source does not count bytes.
  public var byteOffset: Int? = nil

  /// Creates a record; every field is stored as given.
  public init(
    sourceID: String,
    text: String? = nil,
    title: String? = nil,
    documentType: String? = nil,
    firstName: String? = nil,
    lastName: String? = nil,
    organisation: String? = nil,
    postedAt: Date? = nil,
    receivedAt: Date? = nil,
    attachmentCount: Int? = nil,
    sourceURL: String? = nil,
    line: Int
  ) {
    self.sourceID = sourceID
    self.text = text
    self.title = title
    self.documentType = documentType
    self.firstName = firstName
    self.lastName = lastName
    self.organisation = organisation
    self.postedAt = postedAt
    self.receivedAt = receivedAt
    self.attachmentCount = attachmentCount
    self.sourceURL = sourceURL
    self.line = line
  }

  /// The longest id, author id, author name or organisation a record may carry, in UTF-8 bytes:
  /// 1,000. These become keys of B-tree indexes (the record's id, its person's and its
  /// organisation's match keys), whose entries PostgreSQL limits to about a third of a page
  /// (2,704 bytes with 8 kB pages, PostgreSQL docs §67.4); a longer one is refused as the
  /// record's own error, not as the whole import's database failure.
  public static let maxKeyBytes = 1_000

  /// Throws if the id, author id, author name or organisation is longer than ``maxKeyBytes``.
  ///
  /// - Parameter file: The file the record came from, for the error.
  /// - Throws: ``ImportError`` naming the file, line and field: `the id is 900,040 bytes long; an
  ///   id may be at most 1,000 bytes`.
  public func checkKeyLengths(file: String) throws(ImportError) {
    let fields: [(String, String?)] = [
      ("id", sourceID), ("author id", authorKey), ("author", authorName), ("organisation", organisation),
      ("first name", firstName), ("last name", lastName),
    ]
    for (field, value) in fields {
      guard let value, value.utf8.count > Self.maxKeyBytes else { continue }
      throw ImportError(
        file: file, line: line, column: field,
        message: "the \(field) is \(Phrasing.counted(value.utf8.count, "byte")) long; "
          + "\("aeiou".contains(field.first ?? "x") ? "an" : "a") \(field) may be at most \(Phrasing.counted(Self.maxKeyBytes, "byte"))"
      )
    }
  }

}
