import ConsultCore
import Foundation
import Postgres

/// The proceedings summary of a workshop, written by an editor.
public struct ProceedingsSummary: Sendable, Equatable, Encodable {
  /// Database id.
  public let id: Int64
  /// The workshop key.
  public let workshop: String
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
  /// Starts the proceedings summary of a workshop (one per workshop), in the
  /// proceedings-summary machine's initial state, at revision 1.
  ///
  /// - Parameters:
  ///   - workshopKey: The workshop.
  ///   - consultationSlug: The consultation.
  ///   - title: Title.
  ///   - body: Text (Markdown); may be empty at first.
  ///   - actor: The editor.
  ///   - time: When it was started (its creation event), for a draft begun earlier; nil: now.
  /// - Throws: ``StoreError`` (`.alreadyExists` when the workshop has one, `.notFound`).
  @discardableResult
  public func draftSummary(
    for workshopKey: String, in consultationSlug: String, title: String, body: String, actor: String,
    at time: Date? = nil
  ) throws -> ProceedingsSummary {
    try NameRule.requireText(title, "the summary's title")
    return try transaction("proceedings summary of \(workshopKey)") {
      let consultation = try consultation(consultationSlug)
      try checkCitations(in: body, consultationID: consultation.id)
      let workshop = try workshop(workshopKey, in: consultationSlug)
      let initial = try initialState(.proceedingsSummary, in: consultation)
      let rows: PostgresResult
      do {
        rows = try connection.query(
          """
          INSERT INTO proceedings_summaries (consultation_id, workshop_id, title, body, state)
          VALUES ($1, $2, $3, $4, $5) RETURNING id
          """, [consultation.id, workshop.id, title, body, initial])
      } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation {
        throw StoreError(
          .alreadyExists, "workshop '\(workshopKey)' already has a proceedings summary; edit it instead",
          underlying: error)
      }
      let id: Int64 = try rows.rows[0].decode("id")
      try logCreation(
        EntityReference(.proceedingsSummary, id), consultation: consultation, initialState: initial, actor: actor,
        at: time)
      return try summary(for: workshopKey, in: consultationSlug)
    }
  }

  /// Replaces the text of a proceedings summary and bumps its revision.
  /// Allowed only while the summary is in its machine's initial state
  /// (drafting in the shipped workflows): approved text is never changed.
  ///
  /// - Throws: ``StoreError`` (`.refused` outside the initial state, `.notFound`,
  ///   `.conflict` when edited concurrently).
  @discardableResult
  public func editSummary(
    for workshopKey: String, in consultationSlug: String, title: String?, body: String
  ) throws -> ProceedingsSummary {
    if let title { try NameRule.requireText(title, "the summary's title") }
    return try transaction("proceedings summary of \(workshopKey)") {
      let current = try summary(for: workshopKey, in: consultationSlug)
      let consultation = try consultation(consultationSlug)
      try checkCitations(in: body, consultationID: consultation.id)
      let initial = try initialState(.proceedingsSummary, in: consultation)
      guard current.state == initial else {
        throw StoreError(
          .invalidInput,
          "the proceedings summary of '\(workshopKey)' is '\(current.state)'; its text can be edited only while '\(initial)'"
        )
      }
      let updated = try connection.execute(
        """
        UPDATE proceedings_summaries SET body = $1, title = coalesce($2, title), revision = revision + 1,
               version = version + 1
        WHERE id = $3 AND state = $4 AND revision = $5
        """, [body, title, current.id, initial, current.revision])
      if updated != 1 {
        throw StoreError(
          .conflict, "the proceedings summary of '\(workshopKey)' was changed by someone else; reload and edit again")
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
    for workshopKey: String, in consultationSlug: String, event: String, actor: String, reason: String? = nil,
    at time: Date? = nil
  ) throws -> TransitionRecord {
    let current = try summary(for: workshopKey, in: consultationSlug)
    return try fire(
      event, on: EntityReference(.proceedingsSummary, current.id), actor: actor,
      reason: reason ?? "revision \(current.revision)", at: time)
  }

  /// The proceedings summary of a workshop.
  ///
  /// - Throws: ``StoreError`` (`.notFound`).
  public func summary(for workshopKey: String, in consultationSlug: String) throws -> ProceedingsSummary {
    try translatingErrors("proceedings summary") {
      let rows = try connection.query(
        """
        SELECT p.id, w.key AS workshop, p.title, p.body, p.revision, p.state
        FROM proceedings_summaries p JOIN workshops w ON w.id = p.workshop_id
        JOIN consultations c ON c.id = p.consultation_id
        WHERE c.slug = $1 AND w.key = $2
        """, [consultationSlug, workshopKey])
      guard let row = rows.rows.first else {
        _ = try workshop(workshopKey, in: consultationSlug)  // not found: says so, with the one perhaps meant
        throw StoreError(
          .notFound,
          "workshop '\(workshopKey)' of '\(consultationSlug)' has no proceedings summary (start one with `consult summary draft`)"
        )
      }
      return ProceedingsSummary(
        id: try row.decode("id"), workshop: try row.decode("workshop"), title: try row.decode("title"),
        body: try row.decode("body"), revision: try row.decode("revision"), state: try row.decode("state"))
    }
  }
}
