import ConsultCore
import Foundation
import Postgres

/// A statement made under the Chatham House Rule whose own text names someone the rule protects: a
/// participant (an invitee or attendee), an invitee's or attendee's organisation, or a host of its
/// workshop (issue 11, disclosure control).
public struct DisclosureFinding: Sendable, Equatable, Encodable {
  /// The contribution's id.
  public let contributionID: Int64
  /// Its workshop's key.
  public let workshop: String
  /// The ids of the stakeholders its text names (ids, never names: the finding is itself shown).
  public let stakeholderIDs: [Int64]
  /// Whether a reviewer cleared its current text (a `clear-disclosure` event after its latest
  /// content change).
  public let cleared: Bool
}

extension ConsultStore {
  /// The statements of one workshop held under the Chatham House Rule whose current text names a
  /// participant, an invitee's or attendee's organisation or a host: the name (at least 3
  /// characters) found in the text as whole words, case-insensitively (SQL
  /// `consult_words_pattern`, migration 0020). Statements not for publication
  /// are left out (they are never published); so are erased stakeholders (their name is a
  /// pseudonym). Empty for a workshop not under the rule.
  ///
  /// - Parameters:
  ///   - workshopID: The workshop.
  ///   - contributionID: Only this statement, when given.
  /// - Returns: The findings, by contribution id.
  func disclosureFindings(workshopID: Int64, contributionID: Int64? = nil) throws -> [DisclosureFinding] {
    try connection.query(
      """
      WITH people AS (
        SELECT stakeholder_id FROM invitations WHERE workshop_id = $1
        UNION SELECT stakeholder_id FROM attendance WHERE workshop_id = $1
      ), names AS (
        SELECT s.id, s.name FROM people p JOIN stakeholders s ON s.id = p.stakeholder_id
        UNION SELECT o.id, o.name FROM people p JOIN stakeholders s ON s.id = p.stakeholder_id
          JOIN stakeholders o ON o.id = s.organisation_id
        UNION SELECT s.id, s.name FROM workshop_hosts h JOIN stakeholders s ON s.id = h.stakeholder_id
          WHERE h.workshop_id = $1
      ), named AS (
        SELECT DISTINCT k.id AS contribution_id, n.id AS stakeholder_id
        FROM contributions k JOIN workshops w ON w.id = k.workshop_id AND w.chatham_house
        JOIN names n ON length(n.name) >= 3 AND k.text ~* consult_words_pattern(n.name)
        JOIN stakeholders s ON s.id = n.id AND s.erased_at IS NULL
        WHERE k.workshop_id = $1 AND k.attribution <> 'not-for-publication'
          AND ($2::bigint IS NULL OR k.id = $2)
      )
      SELECT d.contribution_id, w.key AS workshop, string_agg(d.stakeholder_id::text, ',' ORDER BY d.stakeholder_id) AS ids,
             EXISTS (SELECT 1 FROM events c
                     WHERE c.entity_kind = 'contribution' AND c.entity_id = d.contribution_id
                       AND c.event = 'clear-disclosure'
                       AND c.id > (SELECT max(x.id) FROM events x
                                   WHERE x.entity_kind = 'contribution' AND x.entity_id = d.contribution_id
                                     AND x.content_hash IS NOT NULL)) AS cleared
      FROM named d JOIN workshops w ON w.id = $1
      GROUP BY d.contribution_id, w.key ORDER BY d.contribution_id
      """, [workshopID, contributionID]
    ).map { row in
      DisclosureFinding(
        contributionID: try row.decode("contribution_id"), workshop: try row.decode("workshop"),
        stakeholderIDs: try row.decode("ids", as: String.self).split(separator: ",").compactMap { Int64($0) },
        cleared: try row.decode("cleared"))
    }
  }

  /// The statements of a consultation's Chatham House workshops that name someone the rule
  /// protects (``DisclosureFinding``), cleared or not.
  ///
  /// - Parameters:
  ///   - slug: The consultation.
  ///   - workshop: Only this workshop's key, when given.
  /// - Returns: The findings, by workshop then contribution id.
  /// - Throws: ``StoreError`` (`.notFound`).
  public func disclosureReview(of slug: String, workshop: String? = nil) throws -> [DisclosureFinding] {
    try translatingErrors("disclosure review of \(slug)") {
      let ids = try workshop.map { [try self.workshop($0, in: slug).id] } ?? workshops(in: slug).map(\.id)
      return try ids.flatMap { try disclosureFindings(workshopID: $0) }
    }
  }

  /// Flags a statement just recorded when its text names someone the rule protects: a
  /// `flag-disclosure` record event (`data.stakeholders`: their ids) at `time` (the recording's
  /// time, or the consultation's latest change of phase when that is later; nil: now), in the
  /// caller's transaction.
  ///
  /// - Returns: The finding, or nil when there is none.
  @discardableResult
  func flagDisclosure(contributionID: Int64, workshopID: Int64, actor: String, at time: Date?) throws
    -> DisclosureFinding?
  {
    guard let finding = try disclosureFindings(workshopID: workshopID, contributionID: contributionID).first else {
      return nil
    }
    // Dated with the recording, but never before the consultation's latest change of phase (a
    // statement of the past recorded later is created then; migration 0014 dates events after it).
    let flaggedAt = try time.map { time in
      try connection.query(
        """
        SELECT greatest($1::timestamptz, (
          SELECT e.occurred_at FROM events e JOIN contributions k ON k.id = $2
          WHERE e.entity_kind = 'consultation' AND e.entity_id = k.consultation_id
            AND e.from_state IS DISTINCT FROM e.to_state
          ORDER BY e.id DESC LIMIT 1)) AS t
        """, [PostgresTimestamp(time), contributionID]
      ).rows[0].decode("t", as: PostgresTimestamp.self).date
    }
    try recordChange(
      RecordEvent.disclosureFlagged, on: EntityReference(.contribution, contributionID), actor: actor,
      data: ["stakeholders": finding.stakeholderIDs.map(String.init).joined(separator: ",")], at: flaggedAt)
    return finding
  }

  /// Refuses to publish a summary while a statement of its Chatham House workshop (of every Chatham
  /// House workshop, for a consultation's own summary) names someone the rule protects and was
  /// neither redacted nor cleared by a reviewer.
  ///
  /// - Parameter summaryID: The proceedings summary.
  /// - Throws: ``StoreError`` `.refused`, naming the statements.
  func requireDisclosureCleared(summaryID: Int64) throws {
    let workshopIDs = try connection.query(
      """
      SELECT w.id FROM proceedings_summaries p JOIN workshops w
        ON (w.id = p.workshop_id OR (p.workshop_id IS NULL AND w.consultation_id = p.consultation_id))
      WHERE p.id = $1 AND w.chatham_house ORDER BY w.id
      """, [summaryID]
    ).map { try $0.decode("id", as: Int64.self) }
    let open = try workshopIDs.flatMap { try disclosureFindings(workshopID: $0) }.filter { !$0.cleared }
    guard !open.isEmpty else { return }
    let list = open.map { "#\($0.contributionID) (workshop '\($0.workshop)')" }.joined(separator: ", ")
    throw StoreError(
      .refused,
      "the summary cannot be published: under the Chatham House Rule, statement\(open.count == 1 ? "" : "s") "
        + "\(list) name\(open.count == 1 ? "s" : "") a participant, an invitee's organisation or a host; redact "
        + "the names (`consult contributions redact`) or have a reviewer clear them (`consult contributions clear "
        + "CONSULTATION ID --reviewer ACTOR`)")
  }

  /// A reviewer clears a flagged statement's current text for publication: a `clear-disclosure`
  /// event on it, its actor the reviewer. A later change of the text (a redaction, a revision)
  /// needs a new clearance.
  ///
  /// - Parameters:
  ///   - contributionID: The statement.
  ///   - slug: Its consultation.
  ///   - reviewer: The reviewer's actor handle (a registered actor).
  ///   - note: Why it may be published, recorded as the event's reason.
  /// - Returns: The event.
  /// - Throws: ``StoreError`` (`.notFound`; `.invalidInput` when the statement names nobody the
  ///   rule protects or is already cleared).
  @discardableResult
  public func clearDisclosure(contributionID: Int64, in slug: String, reviewer: String, note: String?) throws
    -> TransitionRecord
  {
    try transaction("clearance of contribution #\(contributionID)") {
      let consultation = try consultation(slug)
      guard
        let row = try connection.query(
          "SELECT workshop_id FROM contributions WHERE id = $1 AND consultation_id = $2",
          [contributionID, consultation.id]
        ).rows.first
      else { throw StoreError(.notFound, "no contribution #\(contributionID) in consultation '\(slug)'") }
      try lockForChange(EntityReference(.contribution, contributionID))
      guard let workshopID = try row.decode("workshop_id", as: Int64?.self),
        let finding = try disclosureFindings(workshopID: workshopID, contributionID: contributionID).first
      else {
        throw StoreError(
          .invalidInput,
          "contribution #\(contributionID) is not flagged: it is no statement under the Chatham House Rule that "
            + "names a participant, an invitee's organisation or a host")
      }
      if finding.cleared {
        throw StoreError(.invalidInput, "contribution #\(contributionID) is already cleared as it stands")
      }
      return try recordChange(
        RecordEvent.disclosureCleared, on: EntityReference(.contribution, contributionID), actor: reviewer,
        reason: note, data: ["stakeholders": finding.stakeholderIDs.map(String.init).joined(separator: ",")])
    }
  }

  /// Sets a workshop's disclosure threshold: participation counts below it are published as
  /// "fewer than N", with secondary suppression (``ConsultExport/CellSuppression``). Logged as a
  /// `set-disclosure-threshold` event on the workshop.
  ///
  /// - Parameters:
  ///   - threshold: 1 (nothing suppressed) to 1000; the default is 3.
  /// - Throws: ``StoreError`` (`.notFound`, `.invalidInput` out of range).
  @discardableResult
  public func setDisclosureThreshold(_ threshold: Int, workshop key: String, in slug: String, actor: String)
    throws -> TransitionRecord
  {
    guard (1...1000).contains(threshold) else {
      throw StoreError(.invalidInput, "the disclosure threshold must be between 1 and 1000, not \(threshold)")
    }
    return try transaction("workshop \(key)") {
      let workshop = try workshop(key, in: slug)
      try lockForChange(EntityReference(.workshop, workshop.id))
      let old = try disclosureThreshold(workshopID: workshop.id)
      try connection.execute(
        "UPDATE workshops SET disclosure_threshold = $1 WHERE id = $2", [threshold, workshop.id])
      return try recordChange(
        RecordEvent.disclosureThresholdSet, on: EntityReference(.workshop, workshop.id), actor: actor,
        data: ["from": String(old), "to": String(threshold)])
    }
  }

  /// A workshop's disclosure threshold (default 3).
  func disclosureThreshold(workshopID: Int64) throws -> Int {
    try connection.query("SELECT disclosure_threshold AS t FROM workshops WHERE id = $1", [workshopID]).rows
      .first?.decode("t") ?? 3
  }
}
