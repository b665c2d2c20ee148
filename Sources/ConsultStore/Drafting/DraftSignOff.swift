import ConsultCore
import Foundation
import Postgres

/// One approval of a revision of the draft.
public struct DraftApproval: Sendable, Equatable, Encodable {
  /// The revision approved.
  public let revision: Int
  /// The approver's handle.
  public let stakeholder: String
  /// The content hash of the revision approved (hex).
  public let revisionHash: String
  /// Who recorded it.
  public let actor: String
  /// When (UTC).
  public let at: Date
  /// Whether a later revision voided it.
  public let isVoid: Bool
}

/// Who must approve the draft's latest revision, who has, and who is missing.
public struct DraftSignOff: Sendable, Equatable, Encodable {
  /// The latest revision.
  public let revision: Int
  /// Its content hash (hex).
  public let revisionHash: String
  /// The required approvers' handles, as the workflow file's `sign-off:` names them (every
  /// workshop host for `workshop-hosts`), in order, each once.
  public let required: [String]
  /// Required approvers who have approved the latest revision.
  public let approved: [String]
  /// Required approvers who have not (yet).
  public let missing: [String]
  /// Every approval recorded, of every revision, oldest first (earlier revisions' void).
  public let approvals: [DraftApproval]
  /// Whether the draft is in a final state of its machine (signed off).
  public let isFinal: Bool
  /// Why the draft is not final although nobody is missing (the sign-off event was refused), if so.
  public let blockedBy: String?
  /// The `draft` machine's event that makes a revision final (`sign-off: event:` in the workflow
  /// file), fired with the last approval; nil when the workflow has no sign-off.
  public var signOffEvent: String? = nil
}

extension ConsultStore {
  /// Records `stakeholder`'s approval of revision `revision`, which must be the latest: an
  /// `approve-revision` record event on the draft whose data names the revision, the approver
  /// and the revision's content hash. When every approver the workflow file requires has then
  /// approved it, the sign-off event (`sign-off: event:`) is fired in the same transaction; if
  /// the workflow refuses it (e.g. a guard on open comments), the approval stands and
  /// ``DraftSignOff/blockedBy`` says why.
  ///
  /// - Parameters:
  ///   - slug: The consultation.
  ///   - revision: The revision approved (the latest).
  ///   - stakeholder: The approver's handle; must be a required approver.
  ///   - actor: Who records it.
  ///   - time: When; nil: now.
  /// - Returns: The sign-off status after the approval.
  /// - Throws: ``StoreError``: `.refused` when the workflow has no `sign-off:`, the draft is
  ///   final, or the approver is not required; `.invalidInput` for an earlier revision;
  ///   `.alreadyExists` for a second approval; `.notFound`.
  @discardableResult
  public func approveDraft(
    in slug: String, revision: Int, stakeholder: String, actor: String, at time: Date? = nil
  ) throws -> DraftSignOff {
    try transaction("sign-off of the draft of \(slug)") {
      let before = try draft(of: slug)
      try lockForChange(EntityReference(.draft, before.id))
      let draft = try draft(of: slug)
      let consultation = try consultation(slug)
      let definition = try workflow(name: consultation.workflowName, version: consultation.workflowVersion)
      guard let rule = definition.signOff else {
        throw StoreError(
          .refused,
          "workflow '\(definition.name)' names no approvers (no 'sign-off:' in its file), so the draft has no sign-off")
      }
      try requireDrafting(draft, consultation: consultation, doing: "an approval")
      guard revision == draft.revision else {
        throw StoreError(
          .invalidInput,
          revision < draft.revision
            ? "revision \(revision) was superseded by revision \(draft.revision): approve the latest text"
            : "the draft of '\(slug)' has no revision \(revision) (the latest is \(draft.revision))")
      }
      let who = try self.stakeholder(stakeholder)
      let status = try signOffStatus(of: slug)
      guard status.required.contains(who.reference) else {
        throw StoreError(
          .refused,
          "'\(who.reference)' is not an approver of this draft; workflow '\(definition.name)' requires: "
            + (status.required.isEmpty
              ? "nobody yet (its sign-off names the workshops' co-hosts, and no workshop has one)"
              : status.required.joined(separator: ", ")))
      }
      if status.approved.contains(who.reference) {
        throw StoreError(.alreadyExists, "'\(who.reference)' has already approved revision \(revision)")
      }
      let hash = try draftRevision(of: slug, number: revision).contentHash
      let event = try recordChange(
        RecordEvent.revisionApproved, on: EntityReference(.draft, draft.id), actor: actor,
        // The approver by id only (in the data): a handle is personal data, and the log is append-only.
        reason: "revision \(revision) approved",
        data: ["revision": String(revision), "stakeholder_id": String(who.id), "revision_hash": hash], at: time)
      try connection.execute(
        """
        INSERT INTO draft_approvals (draft_id, revision, stakeholder_id, revision_hash, event_id)
        VALUES ($1, $2, $3, decode($4, 'hex'), $5)
        """, [draft.id, revision, who.id, hash, event.eventID])
      var blocked: String?
      if status.missing == [who.reference] {
        do {
          _ = try applyTransition(
            rule.event, on: EntityReference(.draft, draft.id), actor: actor,
            reason: "revision \(revision) approved by every approver", at: time)
        } catch let error as StoreError where error.kind == .refused {
          blocked = error.message
        }
      }
      let after = try signOffStatus(of: slug)
      return DraftSignOff(
        revision: after.revision, revisionHash: after.revisionHash, required: after.required, approved: after.approved,
        missing: after.missing, approvals: after.approvals, isFinal: after.isFinal, blockedBy: blocked,
        signOffEvent: after.signOffEvent)
    }
  }

  /// The sign-off of the draft's latest revision: the approvers the workflow file requires, who
  /// has approved the latest revision, who is missing, and every approval recorded.
  ///
  /// - Throws: ``StoreError`` (`.notFound`).
  public func signOffStatus(of slug: String) throws -> DraftSignOff {
    let draft = try draft(of: slug)
    let consultation = try consultation(slug)
    let latest = try draftRevision(of: slug)
    let definition = try workflow(name: consultation.workflowName, version: consultation.workflowVersion)
    return try translatingErrors("sign-off of the draft of \(slug)") {
      var required: [String] = []
      for approver in definition.signOff?.approvers ?? [] {
        switch approver {
        case .workshopHosts:
          for row in try connection.query(
            """
            SELECT coalesce(s.handle, '#' || s.id) AS handle FROM workshop_hosts h
            JOIN workshops w ON w.id = h.workshop_id JOIN stakeholders s ON s.id = h.stakeholder_id
            WHERE w.consultation_id = $1 ORDER BY w.starts_at, w.id, h.position
            """, [consultation.id])
          {
            let handle: String = try row.decode("handle")
            if !required.contains(handle) { required.append(handle) }
          }
        case .stakeholder(let handle):
          if !required.contains(handle) { required.append(handle) }
        }
      }
      let approvals = try connection.query(
        """
        SELECT p.revision, coalesce(s.handle, '#' || s.id) AS handle, encode(p.revision_hash, 'hex') AS hash,
               a.handle AS actor, e.occurred_at
        FROM draft_approvals p JOIN stakeholders s ON s.id = p.stakeholder_id
        JOIN events e ON e.id = p.event_id JOIN actors a ON a.id = e.actor_id
        WHERE p.draft_id = $1 ORDER BY p.event_id
        """, [draft.id]
      ).map {
        let revision: Int = try $0.decode("revision")
        return DraftApproval(
          revision: revision, stakeholder: try $0.decode("handle"), revisionHash: try $0.decode("hash"),
          actor: try $0.decode("actor"), at: try $0.decode("occurred_at", as: PostgresTimestamp.self).date,
          isVoid: revision != draft.revision)
      }
      let approvedNow = Set(approvals.filter { !$0.isVoid }.map(\.stakeholder))
      return DraftSignOff(
        revision: draft.revision, revisionHash: latest.contentHash, required: required,
        approved: required.filter { approvedNow.contains($0) }, missing: required.filter { !approvedNow.contains($0) },
        approvals: approvals, isFinal: draft.isFinal, blockedBy: nil, signOffEvent: definition.signOff?.event)
    }
  }
}
