import ConsultCore
import Foundation
import Postgres

/// An invitation of a stakeholder to a workshop, with its RSVP state.
public struct Invitation: Sendable, Equatable, Encodable {
  /// Database id.
  public let id: Int64
  /// The workshop key.
  public let workshop: String
  /// The invited stakeholder's handle.
  public let stakeholder: String
  /// Current state in the workflow's invitation machine (draft, sent, accepted…).
  public let state: String
}

extension ConsultStore {
  /// Invites stakeholders to a workshop: creates one invitation each in the
  /// invitation machine's initial state and, when `events` is not empty,
  /// fires those events on each (e.g. `["send"]`), all in one transaction.
  ///
  /// - Parameters:
  ///   - handles: Stakeholder handles.
  ///   - workshopKey: The workshop.
  ///   - consultationSlug: The consultation.
  ///   - events: Events to fire right after creating, in order.
  ///   - actor: Who did it.
  ///   - time: When, for invitations made earlier (creation and events); nil: now.
  /// - Returns: The invitations.
  /// - Throws: ``StoreError`` (`.alreadyExists` when invited before, `.notFound`, `.refused`).
  @discardableResult
  public func invite(
    _ handles: [String], to workshopKey: String, in consultationSlug: String, events: [String] = [],
    actor: String, at time: Date? = nil
  ) throws -> [Invitation] {
    try transaction("invitation to \(workshopKey)") {
      let consultation = try consultation(consultationSlug)
      let workshop = try workshop(workshopKey, in: consultationSlug)
      let initial = try initialState(.invitation, in: consultation)
      var result: [Invitation] = []
      for handle in handles {
        let stakeholder = try stakeholder(handle)
        let rows: PostgresResult
        do {
          rows = try connection.query(
            """
            INSERT INTO invitations (consultation_id, workshop_id, stakeholder_id, state)
            VALUES ($1, $2, $3, $4) RETURNING id
            """, [consultation.id, workshop.id, stakeholder.id, initial])
        } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation {
          throw StoreError(.alreadyExists, "\(handle) is already invited to \(workshopKey)", underlying: error)
        }
        let id: Int64 = try rows.rows[0].decode("id")
        let reference = EntityReference(.invitation, id)
        try logCreation(reference, consultation: consultation, initialState: initial, actor: actor, at: time)
        var state = initial
        for event in events {
          state = try applyTransition(event, on: reference, actor: actor, reason: nil, at: time).toState
        }
        result.append(Invitation(id: id, workshop: workshopKey, stakeholder: handle, state: state))
      }
      return result
    }
  }

  /// Fires an event on one invitation (an RSVP such as `accept`, `decline`,
  /// `tentative`; or `attend`, `no-show`, `withdraw`, `expire`). Reaching
  /// the state `attended` also records the stakeholder in the workshop's attendance.
  ///
  /// - Parameters:
  ///   - event: The invitation event.
  ///   - handle: The invited stakeholder.
  ///   - workshopKey: The workshop.
  ///   - consultationSlug: The consultation.
  ///   - actor: Who recorded it.
  ///   - reason: Optional note.
  ///   - time: When, for an event that happened earlier; nil: now.
  /// - Throws: see ``fire(_:on:actor:reason:at:)``; `.notFound` when not invited.
  @discardableResult
  public func advanceInvitation(
    _ event: String, for handle: String, to workshopKey: String, in consultationSlug: String, actor: String,
    reason: String? = nil, at time: Date? = nil
  ) throws -> TransitionRecord {
    try transaction("invitation of \(handle)") {
      try applyInvitationEvent(
        event, for: handle, to: workshopKey, in: consultationSlug, actor: actor, reason: reason, at: time)
    }
  }

  /// Records attendance at a workshop in one transaction: fires `attend` on
  /// the invitation of each stakeholder in `attended` and `no-show` on each
  /// in `noShow`, at `time` when recorded later (nil: now). If any is refused,
  /// nothing is recorded.
  ///
  /// - Returns: The transitions, attended first.
  /// - Throws: see ``advanceInvitation(_:for:to:in:actor:reason:at:)``.
  @discardableResult
  public func recordAttendance(
    attended: [String], noShow: [String], at workshopKey: String, in consultationSlug: String, actor: String,
    time: Date? = nil
  ) throws -> [TransitionRecord] {
    try transaction("attendance at \(workshopKey)") {
      try attended.map {
        try applyInvitationEvent(
          "attend", for: $0, to: workshopKey, in: consultationSlug, actor: actor, reason: nil, at: time)
      }
        + noShow.map {
          try applyInvitationEvent(
            "no-show", for: $0, to: workshopKey, in: consultationSlug, actor: actor, reason: nil, at: time)
        }
    }
  }

  /// Fires an invitation event inside the caller's transaction.
  func applyInvitationEvent(
    _ event: String, for handle: String, to workshopKey: String, in consultationSlug: String, actor: String,
    reason: String?, at time: Date? = nil
  ) throws -> TransitionRecord {
    let rows = try connection.query(
      """
      SELECT i.id, i.workshop_id, i.stakeholder_id FROM invitations i
      JOIN workshops w ON w.id = i.workshop_id
      JOIN consultations c ON c.id = i.consultation_id
      JOIN stakeholders s ON s.id = i.stakeholder_id
      WHERE c.slug = $1 AND w.key = $2 AND s.handle = $3
      """, [consultationSlug, workshopKey, handle])
    guard let row = rows.rows.first else {
      // Say which name is wrong, with the one perhaps meant: the workshop, the stakeholder, or the invitation.
      let workshop = try workshop(workshopKey, in: consultationSlug)
      _ = try stakeholder(handle)
      let invited = try connection.query(
        """
        SELECT s.handle FROM invitations i JOIN stakeholders s ON s.id = i.stakeholder_id
        WHERE i.workshop_id = $1 AND s.handle IS NOT NULL ORDER BY s.handle
        """, [workshop.id]
      ).map { try $0.decode("handle", as: String.self) }
      throw StoreError(
        .notFound,
        "\(handle) is not invited to workshop '\(workshopKey)' of '\(consultationSlug)'"
          + "\(Phrasing.didYouMean(handle, among: invited)); see `consult invitation list \(consultationSlug) \(workshopKey)`"
      )
    }
    let id: Int64 = try row.decode("id")
    let record = try applyTransition(
      event, on: EntityReference(.invitation, id), actor: actor, reason: reason, at: time)
    if record.toState == "attended" {
      try connection.execute(
        """
        INSERT INTO attendance (workshop_id, stakeholder_id, invitation_id, recorded_at)
        VALUES ($1, $2, $3, coalesce($4, now()))
        ON CONFLICT DO NOTHING
        """,
        [
          try row.decode("workshop_id", as: Int64.self), try row.decode("stakeholder_id", as: Int64.self), id,
          time.map(PostgresTimestamp.init),
        ])
    }
    return record
  }

  /// The invitations to a workshop, by stakeholder handle.
  ///
  /// - Throws: ``StoreError`` (`.notFound` for an unknown consultation or workshop, not an empty list).
  public func invitations(to workshopKey: String, in consultationSlug: String) throws -> [Invitation] {
    try translatingErrors("invitations") {
      let all = try connection.query(
        """
        SELECT i.id, w.key AS workshop, coalesce(s.handle, '#' || s.id) AS stakeholder, i.state
        FROM invitations i JOIN workshops w ON w.id = i.workshop_id
        JOIN consultations c ON c.id = i.consultation_id JOIN stakeholders s ON s.id = i.stakeholder_id
        WHERE c.slug = $1 AND w.key = $2 ORDER BY stakeholder
        """, [consultationSlug, workshopKey]
      ).map {
        Invitation(
          id: try $0.decode("id"), workshop: try $0.decode("workshop"), stakeholder: try $0.decode("stakeholder"),
          state: try $0.decode("state"))
      }
      if all.isEmpty { _ = try workshop(workshopKey, in: consultationSlug) }  // unknown: says so
      return all
    }
  }
}
