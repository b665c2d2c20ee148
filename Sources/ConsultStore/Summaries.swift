import ConsultCore
import Foundation
import Postgres

/// The proceedings summary of a workshop, or the consultation's own summary (no workshop: for a
/// docket of written comments, the report on the comments), written by an editor.
public struct ProceedingsSummary: Sendable, Equatable, Encodable {
  /// Database id.
  public let id: Int64
  /// The workshop key; nil for the consultation's own summary.
  public let workshop: String?
  /// Title.
  public let title: String
  /// The editor's text (Markdown).
  public let body: String
  /// Revision number, bumped on each edit.
  public let revision: Int
  /// State in the workflow's proceedings-summary machine.
  public let state: String
}

extension ConsultStore {
  /// Starts the proceedings summary of a workshop (one per workshop), or with no workshop the
  /// consultation's own summary (one per consultation), in the proceedings-summary machine's
  /// initial state, at revision 1.
  ///
  /// - Parameters:
  ///   - workshopKey: The workshop; nil for the consultation's own summary.
  ///   - consultationSlug: The consultation.
  ///   - title: Title.
  ///   - body: Text (Markdown); may be empty at first.
  ///   - actor: The editor.
  ///   - time: When it was started (its creation event), for a draft begun earlier; nil: now.
  /// - Throws: ``StoreError`` (`.alreadyExists` when the workshop has one, `.notFound`).
  @discardableResult
  public func draftSummary(
    for workshopKey: String?, in consultationSlug: String, title: String, body: String, actor: String,
    at time: Date? = nil
  ) throws -> ProceedingsSummary {
    try NameRule.requireText(title, "the summary's title")
    return try transaction("summary of \(Self.summaryOwner(workshopKey, consultationSlug))") {
      let consultation = try consultation(consultationSlug)
      try checkCitations(in: body, consultationID: consultation.id)
      let workshop = try workshopKey.map { try self.workshop($0, in: consultationSlug) }
      let initial = try initialState(.proceedingsSummary, in: consultation)
      let rows: PostgresResult
      do {
        rows = try connection.query(
          """
          INSERT INTO proceedings_summaries (consultation_id, workshop_id, title, body, state)
          VALUES ($1, $2, $3, $4, $5) RETURNING id
          """, [consultation.id, workshop?.id, title, body, initial])
      } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation {
        throw StoreError(
          .alreadyExists,
          "\(Self.summaryOwner(workshopKey, consultationSlug)) already has a summary; edit it instead "
            + "(`consult summary edit`)",
          underlying: error)
      }
      let id: Int64 = try rows.rows[0].decode("id")
      try logCreation(
        EntityReference(.proceedingsSummary, id), consultation: consultation, initialState: initial, actor: actor,
        at: time)
      return try summary(for: workshopKey, in: consultationSlug)
    }
  }

  /// Replaces the text of a proceedings summary and bumps its revision; the replaced revision's
  /// title and text are kept in `proceedings_summary_revisions`, and a `revise-text` record event
  /// is logged. Allowed only while the summary is in its machine's initial state (drafting in the
  /// shipped workflows): approved text is never changed.
  ///
  /// - Parameters:
  ///   - workshopKey: The workshop; nil for the consultation's own summary.
  ///   - consultationSlug: The consultation.
  ///   - title: A new title, or nil to keep it.
  ///   - body: The new text (Markdown).
  ///   - actor: The editor.
  ///   - time: When it was edited, to record the past; nil: now.
  /// - Throws: ``StoreError`` (`.refused` outside the initial state, `.notFound`,
  ///   `.conflict` when edited concurrently).
  @discardableResult
  public func editSummary(
    for workshopKey: String?, in consultationSlug: String, title: String?, body: String, actor: String,
    at time: Date? = nil
  ) throws -> ProceedingsSummary {
    if let title { try NameRule.requireText(title, "the summary's title") }
    return try transaction("summary of \(Self.summaryOwner(workshopKey, consultationSlug))") {
      // Lock first, then read: concurrent edits queue up, and each keeps the text it replaces.
      try lockForChange(EntityReference(.proceedingsSummary, try summary(for: workshopKey, in: consultationSlug).id))
      let current = try summary(for: workshopKey, in: consultationSlug)
      let consultation = try consultation(consultationSlug)
      try checkCitations(in: body, consultationID: consultation.id)
      let initial = try initialState(.proceedingsSummary, in: consultation)
      guard current.state == initial else {
        throw StoreError(
          .invalidInput,
          "the summary of \(Self.summaryOwner(workshopKey, consultationSlug)) is '\(current.state)'; "
            + "its text can be edited only while '\(initial)'"
        )
      }
      let event = try recordChange(
        RecordEvent.textRevised, on: EntityReference(.proceedingsSummary, current.id), actor: actor,
        reason: "revision \(current.revision + 1)", data: ["revision": String(current.revision + 1)],
        contentHash: try contentHash(summaryTitle: title ?? current.title, body: body), at: time)
      try connection.execute(
        """
        INSERT INTO proceedings_summary_revisions (summary_id, revision, title, body, replaced_at, replaced_by_id)
        SELECT $1, $2, $3, $4, occurred_at, actor_id FROM events WHERE id = $5
        """, [current.id, current.revision, current.title, current.body, event.eventID])
      let updated = try connection.execute(
        """
        UPDATE proceedings_summaries SET body = $1, title = coalesce($2, title), revision = revision + 1
        WHERE id = $3 AND state = $4 AND revision = $5
        """, [body, title, current.id, initial, current.revision])
      if updated != 1 {
        throw StoreError(
          .conflict,
          "the summary of \(Self.summaryOwner(workshopKey, consultationSlug)) was changed by someone else; "
            + "reload and edit again")
      }
      return try summary(for: workshopKey, in: consultationSlug)
    }
  }

  /// Fires a proceedings-summary event (`submit-for-review`, `approve`,
  /// `request-changes`, `publish`…), at `time` when recording a past event
  /// (nil: now). The event log records the revision.
  ///
  /// - Throws: see ``fire(_:on:actor:reason:at:)``.
  @discardableResult
  public func advanceSummary(
    for workshopKey: String?, in consultationSlug: String, event: String, actor: String, reason: String? = nil,
    at time: Date? = nil
  ) throws -> TransitionRecord {
    let current = try summary(for: workshopKey, in: consultationSlug)
    return try fire(
      event, on: EntityReference(.proceedingsSummary, current.id), actor: actor,
      reason: reason ?? "revision \(current.revision)", at: time)
  }

  /// The proceedings summary of a workshop, or with no workshop the consultation's own summary.
  ///
  /// - Throws: ``StoreError`` (`.notFound`).
  public func summary(for workshopKey: String?, in consultationSlug: String) throws -> ProceedingsSummary {
    try translatingErrors("summary") {
      let rows = try connection.query(
        """
        SELECT p.id, w.key AS workshop, p.title, p.body, p.revision, p.state
        FROM proceedings_summaries p LEFT JOIN workshops w ON w.id = p.workshop_id
        JOIN consultations c ON c.id = p.consultation_id
        WHERE c.slug = $1 AND w.key IS NOT DISTINCT FROM $2
        """, [consultationSlug, workshopKey])
      guard let row = rows.rows.first else {
        // Not found: says so, with the one perhaps meant.
        if let workshopKey { _ = try workshop(workshopKey, in: consultationSlug) }
        throw StoreError(
          .notFound,
          "\(Self.summaryOwner(workshopKey, consultationSlug)) has no summary yet (start one with `consult summary draft`)"
        )
      }
      return ProceedingsSummary(
        id: try row.decode("id"), workshop: try row.decode("workshop", as: String?.self),
        title: try row.decode("title"),
        body: try row.decode("body"), revision: try row.decode("revision"), state: try row.decode("state"))
    }
  }

  /// "workshop 'cyber' of 'wp'" or "consultation 'wp'", for messages.
  static func summaryOwner(_ workshopKey: String?, _ consultationSlug: String) -> String {
    workshopKey.map { "workshop '\($0)' of '\(consultationSlug)'" } ?? "consultation '\(consultationSlug)'"
  }
}
