import ConsultCore
import Foundation

/// An EU "Have Your Say" (ec.europa.eu/info/law/better-regulation) feedback export in JSON: an
/// array of feedback records, or an object holding them under `"feedback"` (both accepted).
///
/// Fields read per record: `id` (required; number or string), `feedback` (the text; required,
/// not empty), `dateFeedback` (required; `YYYY/MM/DD HH:MM:SS`, wall-clock time in Brussels,
/// converted to UTC with the Europe/Brussels rules of the IANA tz database, CET/CEST, by
/// ``LocalTimeResolver``, with this format's one documented exception: a repeated autumn hour
/// is the earlier, summer-time instant), `language` (e.g. `EN`),
/// `firstName`, `surname`, `organization`, `attachments` (an array; its length is counted).
/// `referenceInitiative`, `userType`, `country`, `companySize`, `trNumber` and `publicationId`
/// may be present and are not stored. Other fields are ignored.
///
/// Memory: the file is streamed record by record (``JSONArrayElements``); one record is held at a
/// time, at most 16,000,000 bytes of JSON, plus the set of ids seen.
public struct HaveYourSaySource: SkippingSubmissionSource {
  /// The feedback JSON file.
  public let feedbackFile: URL
  /// The file's character encoding.
  public let encoding: SourceEncoding

  /// Uses `file` as it is; ``read(invalid:_:)`` validates it.
  public init(_ file: URL, encoding: SourceEncoding = .utf8) {
    feedbackFile = file
    self.encoding = encoding
  }

  /// `have-your-say`.
  public var format: String { "have-your-say" }
  /// The feedback file.
  public var mainFile: URL { feedbackFile }
  /// `have-your-say`: feedback ids are unique across the Have Your Say portal.
  public var scope: String { format }

  /// The time zone Have Your Say dates are written in.
  static let timeZoneID = "Europe/Brussels"

  /// Reads every feedback record in file order.
  ///
  /// Each record: `sourceID` = `id`; `text` = `feedback` (CRLF → LF); `receivedAt` and
  /// `postedAt` = `dateFeedback` as an instant (e.g. `2021/07/01 12:30:00` → 10:30 UTC in
  /// summer, `2021/01/15 12:30:00` → 11:30 UTC in winter; a time in the hour skipped when clocks
  /// go forward is refused as not existing, one in the hour repeated when they go back is read as
  /// the earlier, summer-time instant — the one exception to ``LocalTimeResolver``'s rule, kept
  /// because this format documents it); `language` = `language` lowercased; `firstName`, `lastName` =
  /// `firstName`, `surname`; `organisation` = `organization`; `attachmentCount` = the number of
  /// `attachments` (`nil` when none). No `authorKey`: each feedback is a person of its own. The
  /// record's `line` is the line where its object starts.
  ///
  /// - Parameters:
  ///   - invalid: receives each record-level error (invalid JSON or UTF-8 inside a record, a
  ///     missing or empty `id`, a duplicate `id`, a missing or empty `feedback`, a missing or
  ///     unparseable `dateFeedback` or one in the hour skipped by the spring clock change, an
  ///     invalid `language`, a field of the wrong type, a NUL
  ///     byte, a field over 1,000,000 bytes); the column named is the field, the line the
  ///     record's first.
  ///   - body: called with each valid record.
  /// - Throws: ``ImportError`` for file-level errors (see ``JSONArrayElements/next()``: not an
  ///   array or an object with a `feedback` array, broken structure, a string never closed, a
  ///   record over 16,000,000 bytes); and what `invalid` or `body` throw.
  public func read(
    invalid: (ImportError) throws -> Void, _ body: (SubmissionRecord) throws -> Void
  ) throws {
    guard let brussels = LocalTimeResolver(zoneIdentifier: Self.timeZoneID) else {
      throw ImportError(file: feedbackFile.path, message: "the time zone \(Self.timeZoneID) is not installed")
    }
    let elements = try JSONArrayElements(url: feedbackFile, key: "feedback", encoding: encoding)
    var seen = SourceIDRegistry()
    while let (bytes, line) = try elements.next() {
      var record: SubmissionRecord
      do {
        record = try Self.record(bytes, line: line, file: feedbackFile.path, brussels: brussels, seen: seen)
        try record.checkKeyLengths(file: feedbackFile.path)
      } catch {
        try invalid(error)
        continue
      }
      record.byteOffset = elements.bytesRead
      seen[record.sourceID] = line
      try body(record)
    }
  }

  /// Turns one record's JSON text into a record, or throws its first record-level error;
  /// `brussels` reads `dateFeedback`.
  static func record(
    _ bytes: [UInt8], line: Int, file: String, brussels: LocalTimeResolver, seen: SourceIDRegistry
  ) throws(ImportError) -> SubmissionRecord {
    func fail(_ message: String, _ column: String? = nil) -> ImportError {
      ImportError(file: file, line: line, column: column, message: message)
    }
    if bytes.contains(0) { throw fail("NUL byte in record") }
    guard String(bytes: bytes, encoding: .utf8) != nil else {
      throw fail("invalid UTF-8 (give the file's encoding, e.g. --encoding windows-1252)")
    }
    let object: [String: Any]
    do {
      guard let parsed = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
        throw fail("record is not a JSON object")
      }
      object = parsed
    } catch let error as ImportError {
      throw error
    } catch {
      throw fail("invalid JSON in record: \(error.localizedDescription)")
    }
    /// The field as text: strings as they are, integers in decimal; `nil` if absent or null.
    func string(_ field: String) throws(ImportError) -> String? {
      let value: String
      switch object[field] {
      case nil, is NSNull: return nil
      case let text as String: value = text
      case let integer as Int: value = String(integer)
      case let number as NSNumber where number.doubleValue == number.doubleValue.rounded():
        value = String(number.int64Value)
      default: throw fail("\(field) is not a string", field)
      }
      try FieldCheck.check(value, file: file, line: line, column: field)
      return value
    }
    func trimmed(_ field: String) throws(ImportError) -> String? {
      let value = try string(field)?.trimmingCharacters(in: .whitespacesAndNewlines)
      return value?.isEmpty == false ? value : nil
    }
    guard let id = try trimmed("id") else { throw fail("missing or empty id", "id") }
    if let first = seen[id] { throw fail("duplicate id \"\(id)\" (first at line \(first))", "id") }
    guard let raw = try string("feedback"), !raw.allSatisfy(\.isWhitespace) else {
      throw fail("missing or empty feedback text", "feedback")
    }
    let written = try trimmed("dateFeedback") ?? ""
    func malformed() -> ImportError {
      fail(
        "dateFeedback \"\(written)\" is not a Brussels date and time \"YYYY/MM/DD HH:MM:SS\" that exists",
        "dateFeedback")
    }
    guard let fields = WrittenTime.parse(written, separator: .slash), fields.offset == nil else { throw malformed() }
    let date: Date
    do {
      // The format's documented exception: a repeated autumn hour is the earlier instant.
      date = try brussels.instant(fields, text: "\"\(written)\"", ambiguous: .earlier)
    } catch {
      if error.problem == .invalid { throw malformed() }
      throw fail("dateFeedback \(error)", "dateFeedback")
    }
    let language = try FieldCheck.language(try string("language"), file: file, line: line, column: "language")
    var attachments: Int? = nil
    switch object["attachments"] {
    case nil, is NSNull: break
    case let list as [Any]: attachments = list.isEmpty ? nil : list.count
    default: throw fail("attachments is not an array", "attachments")
    }
    var record = SubmissionRecord(
      sourceID: id, text: RegulationsGovSource.normaliseNewlines(raw), firstName: try trimmed("firstName"),
      lastName: try trimmed("surname"), organisation: try trimmed("organization"), postedAt: date,
      receivedAt: date, attachmentCount: attachments, line: line)
    record.language = language
    return record
  }
}
