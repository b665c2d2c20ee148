import ConsultCore
import Foundation
import Postgres

/// One invitation to a workshop, for an attendance export; names included.
///
/// Holds names (personal data): the attendance exporter shows them only for
/// workshops not held under the Chatham House Rule, or whose rule allows
/// publishing the attendance list.
public struct AttendanceRecord: Sendable, Equatable {
  /// The workshop key.
  public let workshop: String
  /// Whether the workshop is held under the Chatham House Rule.
  public let chathamHouse: Bool
  /// Whether the workshop allows its attendance list to be published although
  /// held under the Chatham House Rule.
  public let publishAttendance: Bool
  /// The invitation's database id.
  public let invitationID: Int64
  /// The invitee's stakeholder group key (the organisation's when the person has none), if any.
  public let groupKey: String?
  /// The group's display name, if any.
  public let groupName: String?
  /// Current state in the invitation machine (`sent`, `accepted`, `attended`, `no-show`…).
  public let state: String
  /// The last reply recorded in the event log: the most recent of the states
  /// `accepted`, `tentative`, `declined` the invitation reached; nil when none.
  public let reply: String?
  /// Whether the invitee is recorded in the workshop's attendance.
  public let attended: Bool
  /// The invitee's name (personal data for persons).
  public let name: String
  /// The invitee's organisation's name (for a person), if any.
  public let organisationName: String?
}

/// A workshop with what a calendar export (RFC 5545) needs.
public struct CalendarWorkshop: Sendable, Equatable {
  /// An invitee of the workshop.
  public struct Invitee: Sendable, Equatable {
    /// Display name (personal data for persons).
    public let name: String
    /// E-mail address, if recorded (personal data).
    public let email: String?
    /// A stable lower-case hex MD5 digest of the URL-namespace UUID bytes followed by
    /// `consult:<slug>:stakeholder:<id>` (the input of an RFC 4122 version 3 UUID).
    public let nameDigest: String
    /// Current state in the invitation machine.
    public let state: String
    /// The last reply in the event log (`accepted`, `tentative` or `declined`), if any.
    public let reply: String?
  }
  /// The workshop.
  public let workshop: Workshop
  /// When the workshop was recorded (UTC).
  public let createdAt: Date
  /// The latest of its creation, the last transition logged for it or for
  /// one of its invitations, and its last move (UTC).
  public let lastChangedAt: Date
  /// How many times its date or status was revised: the number of `postpone`
  /// and `cancel` events logged for it plus the number of times it was moved
  /// (`workshop_reschedules`).
  public let revisions: Int
  /// The first co-host's name, if any.
  public let organizerName: String?
  /// The first co-host's e-mail address, if any.
  public let organizerEmail: String?
  /// Invitations, by invitation id.
  public let invitees: [Invitee]
}

/// The RFC 4122 URL namespace UUID (6ba7b811-9dad-11d1-80b4-00c04fd430c8) as hex, input of version 3 UUIDs.
private let urlNamespaceHex = "6ba7b8119dad11d180b400c04fd430c8"

extension ConsultStore {
  /// Every invitation to every workshop of a consultation, for an attendance
  /// export: workshops by start time then key, invitations by stakeholder
  /// group order then invitation id. One REPEATABLE READ snapshot.
  ///
  /// - Parameter slug: The consultation.
  /// - Returns: The records (names included; the exporter applies the Chatham House Rule).
  /// - Throws: ``StoreError`` (`.notFound`).
  public func attendanceRecords(of slug: String) throws -> [AttendanceRecord] {
    try translatingErrors("attendance of \(slug)") {
      try connection.withTransaction(isolation: .repeatableRead) {
        let consultation = try consultation(slug)
        return try connection.query(
          """
          SELECT w.key AS workshop, w.chatham_house, w.publish_attendance, i.id, i.state, g.key AS group_key, g.name AS group_name,
                 (SELECT e.to_state FROM events e WHERE e.entity_kind = 'invitation' AND e.entity_id = i.id
                    AND e.to_state IN ('accepted', 'tentative', 'declined') ORDER BY e.id DESC LIMIT 1) AS reply,
                 EXISTS (SELECT 1 FROM attendance a WHERE a.workshop_id = i.workshop_id
                         AND a.stakeholder_id = i.stakeholder_id) AS attended,
                 s.name, o.name AS organisation
          FROM invitations i JOIN workshops w ON w.id = i.workshop_id
          JOIN stakeholders s ON s.id = i.stakeholder_id
          LEFT JOIN stakeholders o ON o.id = s.organisation_id
          LEFT JOIN stakeholder_groups g ON g.key = coalesce(s.stakeholder_group, o.stakeholder_group)
          WHERE i.consultation_id = $1
          ORDER BY w.starts_at, w.key, g.position NULLS LAST, i.id
          """, [consultation.id]
        ).map { row in
          AttendanceRecord(
            workshop: try row.decode("workshop"), chathamHouse: try row.decode("chatham_house"),
            publishAttendance: try row.decode("publish_attendance"),
            invitationID: try row.decode("id"), groupKey: try row.decode("group_key", as: String?.self),
            groupName: try row.decode("group_name", as: String?.self), state: try row.decode("state"),
            reply: try row.decode("reply", as: String?.self), attended: try row.decode("attended"),
            name: try row.decode("name"), organisationName: try row.decode("organisation", as: String?.self))
        }
      }
    }
  }

  /// The workshops of a consultation with what a calendar export needs, by
  /// start time then key. One REPEATABLE READ snapshot.
  ///
  /// - Parameter slug: The consultation.
  /// - Returns: The workshops (names and e-mail addresses included; the
  ///   exporter applies the Chatham House Rule).
  /// - Throws: ``StoreError`` (`.notFound`).
  public func calendarWorkshops(of slug: String) throws -> [CalendarWorkshop] {
    try translatingErrors("calendar of \(slug)") {
      try connection.withTransaction(isolation: .repeatableRead) {
        _ = try consultation(slug)
        return try workshops(in: slug).map { workshop in
          let facts = try connection.query(
            """
            SELECT w.created_at,
                   greatest(w.created_at,
                     (SELECT max(e.occurred_at) FROM events e WHERE e.entity_kind = 'workshop' AND e.entity_id = w.id),
                     (SELECT max(e.occurred_at) FROM events e JOIN invitations i ON i.id = e.entity_id
                      WHERE e.entity_kind = 'invitation' AND i.workshop_id = w.id),
                     (SELECT max(r.recorded_at) FROM workshop_reschedules r WHERE r.workshop_id = w.id)) AS last_changed,
                   (SELECT count(*) FROM events e WHERE e.entity_kind = 'workshop' AND e.entity_id = w.id
                      AND e.event IN ('postpone', 'cancel'))
                   + (SELECT count(*) FROM workshop_reschedules r WHERE r.workshop_id = w.id) AS revisions,
                   (SELECT s.name FROM workshop_hosts h JOIN stakeholders s ON s.id = h.stakeholder_id
                    WHERE h.workshop_id = w.id ORDER BY h.position LIMIT 1) AS organizer_name,
                   (SELECT s.email FROM workshop_hosts h JOIN stakeholders s ON s.id = h.stakeholder_id
                    WHERE h.workshop_id = w.id ORDER BY h.position LIMIT 1) AS organizer_email
            FROM workshops w WHERE w.id = $1
            """, [workshop.id]
          ).rows[0]
          let invitees = try connection.query(
            """
            SELECT s.name, s.email, i.state,
                   (SELECT e.to_state FROM events e WHERE e.entity_kind = 'invitation' AND e.entity_id = i.id
                      AND e.to_state IN ('accepted', 'tentative', 'declined') ORDER BY e.id DESC LIMIT 1) AS reply,
                   md5(decode($2, 'hex') || convert_to('consult:' || $3 || ':stakeholder:' || s.id, 'UTF8')) AS digest
            FROM invitations i JOIN stakeholders s ON s.id = i.stakeholder_id
            WHERE i.workshop_id = $1 ORDER BY i.id
            """, [workshop.id, urlNamespaceHex, slug]
          ).map { row in
            CalendarWorkshop.Invitee(
              name: try row.decode("name"), email: try row.decode("email", as: String?.self),
              nameDigest: try row.decode("digest"), state: try row.decode("state"),
              reply: try row.decode("reply", as: String?.self))
          }
          return CalendarWorkshop(
            workshop: workshop, createdAt: try facts.decode("created_at", as: PostgresTimestamp.self).date,
            lastChangedAt: try facts.decode("last_changed", as: PostgresTimestamp.self).date,
            revisions: try facts.decode("revisions"),
            organizerName: try facts.decode("organizer_name", as: String?.self),
            organizerEmail: try facts.decode("organizer_email", as: String?.self), invitees: invitees)
        }
      }
    }
  }
}
