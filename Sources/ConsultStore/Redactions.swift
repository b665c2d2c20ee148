import ConsultCore
import Foundation
import Postgres

/// Why a moderator redacts a span of a contribution's text; exports show `[redacted: LABEL]`.
public enum RedactionReason: String, Sendable, Encodable, CaseIterable {
  /// Personal data of the contributor or of someone else.
  case personalData = "personal-data"
  /// A statement that may be defamatory.
  case defamation
  /// Not about the consultation's subject.
  case offTopic = "off-topic"
  /// Abusive or offensive language.
  case offensive
  /// Commercially or otherwise confidential information.
  case confidential
  /// Another reason (say which with a note).
  case other

  /// What exports show: the reason with spaces, e.g. "personal data".
  public var label: String { rawValue.replacingOccurrences(of: "-", with: " ") }

  /// The marker that replaces a redacted span: `[redacted: personal data]`.
  public var marker: String { "[redacted: \(label)]" }
}

/// Which part of a contribution's text to redact.
public enum RedactionSpan: Sendable, Equatable {
  /// This exact text (case-sensitive); every occurrence when `every`, else it must occur once.
  case text(String, every: Bool)
  /// Code points `from` (0-based) up to `to` (exclusive), as PostgreSQL's `substr` counts them.
  case offsets(from: Int, to: Int)
}

/// A redaction done: the event that logged it and the text as now published.
public struct RedactionRecord: Sendable, Equatable, Encodable {
  /// The contribution.
  public let contributionID: Int64
  /// The `redact` event.
  public let eventID: Int64
  /// The reason.
  public let reason: RedactionReason
  /// How many spans were replaced.
  public let spans: Int
  /// How many of the contribution's earlier texts (revisions) had a span replaced as well.
  public let revisions: Int
  /// The text as it now stands.
  public let text: String
}

/// A redacted span as everyone may see it (without the original text, which only
/// ``ConsultStore/redactedOriginals(of:in:)`` gives to administrators).
public struct RedactionEntry: Sendable, Equatable, Encodable {
  /// The redaction's id.
  public let id: Int64
  /// The `redact` event.
  public let eventID: Int64
  /// The reason.
  public let reason: String
  /// The moderator's note.
  public let note: String?
  /// Where the span was (code points, in the text before that redaction).
  public let from: Int
  /// End of the span (exclusive).
  public let to: Int
  /// The original span: present only for administrators.
  public let original: String?
}

extension ConsultStore {
  /// Redacts spans of a contribution's published text: each is replaced by
  /// ``RedactionReason/marker``, the original span kept in `contribution_redactions.original`,
  /// readable by `consult_admin` only (migration 0020), and a `redact` event logged whose content
  /// hash pins the new text and whose data pins each span's row (`redactions`, SQL
  /// `consult_redaction_content`); the same text is replaced in the contribution's earlier
  /// revisions, each re-pinned by a `redact` event (SQL `consult_redact_revisions`).
  /// One transaction.
  ///
  /// - Parameters:
  ///   - contributionID: The contribution.
  ///   - slug: Its consultation.
  ///   - span: What to redact.
  ///   - reason: Why.
  ///   - note: A note for the record (the event's reason).
  ///   - actor: The moderator.
  /// - Returns: What was done.
  /// - Throws: ``StoreError`` (`.notFound`; `.invalidInput` for a span not in the text, found more
  ///   than once without `every`, or offsets outside it; `.refused` in a finished consultation).
  @discardableResult
  public func redactContribution(
    _ contributionID: Int64, in slug: String, span: RedactionSpan, reason: RedactionReason, note: String?,
    actor: String
  ) throws -> RedactionRecord {
    try transaction("redaction of contribution #\(contributionID)") {
      let consultation = try consultation(slug)
      try lockForChange(EntityReference(.contribution, contributionID))
      guard
        let row = try connection.query(
          "SELECT text FROM contributions WHERE id = $1 AND consultation_id = $2", [contributionID, consultation.id]
        ).rows.first
      else { throw StoreError(.notFound, "no contribution #\(contributionID) in consultation '\(slug)'") }
      let text = Array(try row.decode("text", as: String.self).unicodeScalars)
      let ranges = try Self.redactionRanges(span, in: text, contributionID: contributionID)
      var redacted = text
      for range in ranges.reversed() {
        redacted.replaceSubrange(range, with: reason.marker.unicodeScalars)
      }
      var newText = String.UnicodeScalarView()
      newText.append(contentsOf: redacted)
      try connection.execute("UPDATE contributions SET text = $1 WHERE id = $2", [String(newText), contributionID])
      let hash: String = try connection.query(
        """
        SELECT encode(consult_contribution_content(text, attribution, stakeholder_id), 'hex') AS h
        FROM contributions WHERE id = $1
        """, [contributionID]
      ).rows[0].decode("h")
      // Each span's row, pinned by the event (SQL consult_redaction_content, migration 0020: a
      // random salt, readable by consult_admin only, keeps guesses of the span from being tested).
      var pinned: [(range: Range<Int>, original: String, salt: String, hash: String)] = []
      for range in ranges {
        var original = String.UnicodeScalarView()
        original.append(contentsOf: text[range])
        let row = try connection.query(
          """
          SELECT encode(salt, 'hex') AS salt,
                 encode(consult_redaction_content(salt, $1, $2, $3, $4, $5, $6), 'hex') AS h
          FROM (SELECT uuid_send(gen_random_uuid()) AS salt) s
          """, [contributionID, reason.rawValue, note, range.lowerBound, range.upperBound, String(original)]
        ).rows[0]
        pinned.append(
          (range: range, original: String(original), salt: try row.decode("salt"), hash: try row.decode("h")))
      }
      let event = try recordChange(
        RecordEvent.redacted, on: EntityReference(.contribution, contributionID), actor: actor, reason: note,
        data: [
          "reason": reason.rawValue, "spans": String(ranges.count),
          "redactions": pinned.map(\.hash).joined(separator: ","),
        ], contentHash: hash)
      for span in pinned {
        try connection.execute(
          """
          INSERT INTO contribution_redactions (contribution_id, event_id, reason, note, start_offset, end_offset,
                                               original, salt, actor_id)
          VALUES ($1, $2, $3, $4, $5, $6, $7, decode($8, 'hex'), consult_actor($9))
          """,
          [
            contributionID, event.eventID, reason.rawValue, note, span.range.lowerBound, span.range.upperBound,
            span.original, span.salt, actor,
          ])
      }
      // The same spans in the contribution's earlier texts (SQL consult_redact_revisions, migration
      // 0020: allowed only after this logged redaction).
      var revisions = 0
      for original in Set(ranges.map { range in String(String.UnicodeScalarView(text[range])) }).sorted() {
        revisions += try connection.query(
          "SELECT consult_redact_revisions($1, $2, $3) AS n", [contributionID, original, reason.marker]
        ).rows[0].decode("n", as: Int.self)
      }
      return RedactionRecord(
        contributionID: contributionID, eventID: event.eventID, reason: reason, spans: ranges.count,
        revisions: revisions, text: String(newText))
    }
  }

  /// The code-point ranges a span names in `text`.
  static func redactionRanges(_ span: RedactionSpan, in text: [Unicode.Scalar], contributionID: Int64) throws
    -> [Range<Int>]
  {
    switch span {
    case .offsets(let from, let to):
      guard from >= 0, to > from, to <= text.count else {
        throw StoreError(
          .invalidInput,
          "--from \(from) --to \(to) is not a span of contribution #\(contributionID)'s text (0 to \(text.count) "
            + "code points, --from before --to)")
      }
      return [from..<to]
    case .text(let needle, let every):
      let pattern = Array(needle.unicodeScalars)
      guard !pattern.isEmpty else { throw StoreError(.invalidInput, "--span is empty") }
      var found: [Range<Int>] = []
      var index = 0
      while index + pattern.count <= text.count {
        if text[index..<(index + pattern.count)].elementsEqual(pattern) {
          found.append(index..<(index + pattern.count))
          index += pattern.count
        } else {
          index += 1
        }
      }
      if found.isEmpty {
        throw StoreError(
          .invalidInput,
          "--span: the text is not in contribution #\(contributionID) as it stands (case and "
            + "spaces must match)")
      }
      if found.count > 1 && !every {
        throw StoreError(
          .invalidInput,
          "--span: the text occurs \(found.count) times in contribution #\(contributionID); give --every to "
            + "redact them all, or --from/--to for one")
      }
      return found
    }
  }

  /// The redactions of a contribution, oldest first, as every role may read them (no original).
  ///
  /// - Throws: ``StoreError`` (`.notFound`).
  public func redactions(of contributionID: Int64, in slug: String) throws -> [RedactionEntry] {
    try translatingErrors("redactions of contribution #\(contributionID)") {
      let consultation = try consultation(slug)
      return try connection.query(
        """
        SELECT r.id, r.event_id, r.reason, r.note, r.start_offset, r.end_offset
        FROM contribution_redactions r JOIN contributions k ON k.id = r.contribution_id
        WHERE r.contribution_id = $1 AND k.consultation_id = $2 ORDER BY r.id
        """, [contributionID, consultation.id]
      ).map { row in
        RedactionEntry(
          id: try row.decode("id"), eventID: try row.decode("event_id"), reason: try row.decode("reason"),
          note: try row.decode("note", as: String?.self), from: try row.decode("start_offset"),
          to: try row.decode("end_offset"), original: nil)
      }
    }
  }

  /// The redactions of a contribution with their original spans: for `consult_admin` only (other
  /// roles are refused by column privilege, SQLSTATE 42501).
  ///
  /// - Throws: ``StoreError`` (`.notFound`; `.database` 42501 for another role).
  public func redactedOriginals(of contributionID: Int64, in slug: String) throws -> [RedactionEntry] {
    try translatingErrors("redacted text of contribution #\(contributionID)") {
      let consultation = try consultation(slug)
      return try connection.query(
        """
        SELECT r.id, r.event_id, r.reason, r.note, r.start_offset, r.end_offset, r.original
        FROM contribution_redactions r JOIN contributions k ON k.id = r.contribution_id
        WHERE r.contribution_id = $1 AND k.consultation_id = $2 ORDER BY r.id
        """, [contributionID, consultation.id]
      ).map { row in
        RedactionEntry(
          id: try row.decode("id"), eventID: try row.decode("event_id"), reason: try row.decode("reason"),
          note: try row.decode("note", as: String?.self), from: try row.decode("start_offset"),
          to: try row.decode("end_offset"), original: try row.decode("original", as: String?.self))
      }
    }
  }
}
