import ConsultCore
import Foundation
import Postgres

/// A workshop (expert workshop, hearing, round table) within a consultation.
public struct Workshop: Sendable, Equatable, Encodable {
  /// Database id.
  public let id: Int64
  /// Short key, unique within the consultation, e.g. `cyber-security`.
  public let key: String
  /// Title.
  public let title: String
  /// Venue, e.g. "Berlin".
  public let venue: String?
  /// Start (an instant; display it in ``timeZone``).
  public let startsAt: Date
  /// End (an instant; inclusive end of the event).
  public let endsAt: Date
  /// IANA time zone of the venue, e.g. `Europe/Berlin`.
  public let timeZone: String
  /// Whether the workshop is held under the Chatham House Rule.
  public let chathamHouse: Bool
  /// Whether its attendance list may be published although it is held under
  /// the Chatham House Rule (statements stay unattributed); ignored otherwise.
  public let publishAttendance: Bool
  /// Current state in the workflow's workshop machine.
  public let state: String
  /// Co-hosts' display names, in the order given.
  public let hosts: [String]
}

extension ConsultStore {
  /// Adds a workshop to a consultation, in the workshop machine's initial state.
  ///
  /// - Parameters:
  ///   - key: Short key unique within the consultation.
  ///   - consultationSlug: The consultation.
  ///   - title: Title.
  ///   - venue: Venue.
  ///   - startsAt: Start instant.
  ///   - endsAt: End instant (≥ start).
  ///   - timeZone: IANA zone for display; must be known to PostgreSQL (`pg_timezone_names`).
  ///   - chathamHouse: Held under the Chatham House Rule.
  ///   - hosts: Handles of co-hosting stakeholders, in order.
  ///   - actor: Who recorded it.
  ///   - time: When it was recorded (its `created_at` and creation event), for a
  ///     workshop recorded earlier; nil: now.
  /// - Returns: The workshop.
  /// - Throws: ``StoreError`` (`.notFound` for a consultation or host, `.invalidInput` (also for a key
  ///   not following ``NameRule/workshopKey`` or an empty title), `.alreadyExists`).
  @discardableResult
  public func addWorkshop(
    key: String, to consultationSlug: String, title: String, venue: String?, startsAt: Date, endsAt: Date,
    timeZone: String, chathamHouse: Bool, publishAttendance: Bool = false, hosts: [String], actor: String,
    at time: Date? = nil
  ) throws -> Workshop {
    try NameRule.workshopKey.check(key)
    try NameRule.requireText(title, "the workshop's title")
    guard endsAt >= startsAt else { throw StoreError(.invalidInput, "the workshop ends before it starts") }
    return try transaction("workshop \(key)") {
      let consultation = try consultation(consultationSlug)
      if try connection.query("SELECT 1 FROM pg_timezone_names WHERE name = $1", [timeZone]).isEmpty {
        throw StoreError(.invalidInput, "unknown time zone '\(timeZone)' (use an IANA name such as Europe/Berlin)")
      }
      let initial = try initialState(.workshop, in: consultation)
      let rows = try connection.query(
        """
        INSERT INTO workshops (consultation_id, key, title, venue, starts_at, ends_at, time_zone, chatham_house, state,
                               created_at, publish_attendance)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, coalesce($10, now()), $11) RETURNING id
        """,
        [
          consultation.id, key, title, venue, PostgresTimestamp(startsAt), PostgresTimestamp(endsAt), timeZone,
          chathamHouse, initial, time.map(PostgresTimestamp.init), publishAttendance,
        ])
      let id: Int64 = try rows.rows[0].decode("id")
      for (position, host) in hosts.enumerated() {
        let stakeholder = try stakeholder(host)
        try connection.execute(
          "INSERT INTO workshop_hosts (workshop_id, stakeholder_id, position) VALUES ($1, $2, $3)",
          [id, stakeholder.id, position + 1])
      }
      try logCreation(
        EntityReference(.workshop, id), consultation: consultation, initialState: initial, actor: actor, at: time)
      return try workshop(key, in: consultationSlug)
    }
  }

  /// Moves a workshop to other times, in one transaction with a compare-and-set
  /// on its version, and records the move (old and new times, actor, reason)
  /// in `workshop_reschedules`. Moving is not a state change, so the event log
  /// is untouched; calendar exports count moves in SEQUENCE.
  ///
  /// - Parameters:
  ///   - key: The workshop.
  ///   - consultationSlug: The consultation.
  ///   - startsAt: New start (an instant).
  ///   - endsAt: New end (an instant, ≥ start).
  ///   - timeZone: New IANA zone for display; nil keeps the current one.
  ///   - actor: Who moved it.
  ///   - reason: Optional note.
  /// - Returns: The workshop as moved.
  /// - Throws: ``StoreError``: `.invalidInput` when the workshop is in a final
  ///   state of its machine (cancelled, summarised…), the end is before the
  ///   start or the zone is unknown; `.conflict` when changed concurrently;
  ///   `.notFound`.
  @discardableResult
  public func rescheduleWorkshop(
    _ key: String, in consultationSlug: String, startsAt: Date, endsAt: Date, timeZone: String? = nil,
    actor: String, reason: String? = nil, at time: Date? = nil
  ) throws -> Workshop {
    try transaction("workshop \(key)") {
      try lockForChange(EntityReference(.workshop, try workshop(key, in: consultationSlug).id))
      let current = try workshop(key, in: consultationSlug)
      let consultation = try consultation(consultationSlug)
      let machine = try workflow(name: consultation.workflowName, version: consultation.workflowVersion)
        .machine(for: .workshop)
      if machine.isFinal(current.state) {
        throw StoreError(
          .invalidInput, "workshop '\(key)' is \(current.state): a workshop in a final state cannot be moved")
      }
      guard endsAt >= startsAt else { throw StoreError(.invalidInput, "the new end is before the new start") }
      let zone = timeZone ?? current.timeZone
      if try connection.query("SELECT 1 FROM pg_timezone_names WHERE name = $1", [zone]).isEmpty {
        throw StoreError(.invalidInput, "unknown time zone '\(zone)' (use an IANA name such as Europe/Berlin)")
      }
      // The record event's compare-and-set on the workshop's version makes a concurrent change a conflict.
      try recordChange(
        RecordEvent.rescheduled, on: EntityReference(.workshop, current.id), actor: actor, reason: reason,
        data: [
          "old_starts_at": Self.isoText(current.startsAt), "old_ends_at": Self.isoText(current.endsAt),
          "old_time_zone": current.timeZone, "new_starts_at": Self.isoText(startsAt),
          "new_ends_at": Self.isoText(endsAt), "new_time_zone": zone,
        ], at: time)
      try connection.execute(
        "UPDATE workshops SET starts_at = $1, ends_at = $2, time_zone = $3 WHERE id = $4",
        [PostgresTimestamp(startsAt), PostgresTimestamp(endsAt), zone, current.id])
      try connection.execute(
        """
        INSERT INTO workshop_reschedules (workshop_id, old_starts_at, old_ends_at, old_time_zone,
                                          new_starts_at, new_ends_at, new_time_zone, actor_id, reason, recorded_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, consult_actor($8), $9, coalesce($10, clock_timestamp()))
        """,
        [
          current.id, PostgresTimestamp(current.startsAt), PostgresTimestamp(current.endsAt), current.timeZone,
          PostgresTimestamp(startsAt), PostgresTimestamp(endsAt), zone, actor, reason,
          time.map(PostgresTimestamp.init),
        ])
      return try workshop(key, in: consultationSlug)
    }
  }

  /// Says whether the attendance list of a workshop held under the Chatham
  /// House Rule may be published (its statements stay unattributed).
  ///
  /// - Parameters:
  ///   - publish: True to allow publishing the attendance list.
  ///   - key: The workshop.
  ///   - consultationSlug: The consultation.
  ///   - actor: Who decided.
  ///   - time: When, to record the past; nil: now.
  /// - Throws: ``StoreError`` (`.notFound`, `.conflict`).
  public func setAttendancePublication(
    _ publish: Bool, for key: String, in consultationSlug: String, actor: String, at time: Date? = nil
  ) throws {
    try transaction("workshop \(key)") {
      let id = try workshop(key, in: consultationSlug).id
      try recordChange(
        publish ? RecordEvent.attendanceListAllowed : RecordEvent.attendanceListWithheld,
        on: EntityReference(.workshop, id), actor: actor, data: ["publish": publish ? "true" : "false"], at: time)
      try connection.execute("UPDATE workshops SET publish_attendance = $1 WHERE id = $2", [publish, id])
    }
  }

  /// Looks a workshop up by consultation and key.
  ///
  /// - Throws: ``StoreError`` (`.notFound`).
  public func workshop(_ key: String, in consultationSlug: String) throws -> Workshop {
    try translatingErrors("workshop \(key)") {
      let rows = try connection.query(
        Self.workshopSelect + " WHERE c.slug = $1 AND w.key = $2", [consultationSlug, key])
      guard let row = rows.rows.first else {
        let consultation = try consultation(consultationSlug)
        let keys = try connection.query(
          "SELECT key FROM workshops WHERE consultation_id = $1 ORDER BY key", [consultation.id]
        ).map { try $0.decode("key", as: String.self) }
        throw StoreError(
          .notFound,
          "no workshop '\(key)' in consultation '\(consultationSlug)'\(Phrasing.didYouMean(key, among: keys))"
            + (keys.isEmpty ? " (it has none yet)" : "; see `consult workshop list \(consultationSlug)`"))
      }
      return try Self.decodeWorkshop(row)
    }
  }

  /// The workshops of a consultation, by start time.
  ///
  /// - Throws: ``StoreError`` (`.notFound` for an unknown consultation, not an empty list).
  public func workshops(in consultationSlug: String) throws -> [Workshop] {
    try translatingErrors("workshops") {
      let all = try connection.query(
        Self.workshopSelect + " WHERE c.slug = $1 ORDER BY w.starts_at, w.key", [consultationSlug]
      ).map(Self.decodeWorkshop)
      if all.isEmpty { _ = try consultation(consultationSlug) }
      return all
    }
  }

  /// Fires a workshop event (e.g. `schedule`, `hold`, `summarise`, `cancel`),
  /// at `time` when recording a past event (nil: now).
  ///
  /// - Throws: see ``fire(_:on:actor:reason:at:)``.
  @discardableResult
  public func advanceWorkshop(
    _ key: String, in consultationSlug: String, event: String, actor: String, reason: String? = nil,
    at time: Date? = nil
  ) throws -> TransitionRecord {
    let workshop = try workshop(key, in: consultationSlug)
    return try fire(event, on: EntityReference(.workshop, workshop.id), actor: actor, reason: reason, at: time)
  }

  static let workshopSelect = """
    SELECT w.id, w.key, w.title, w.venue, w.starts_at, w.ends_at, w.time_zone, w.chatham_house, w.state,
           w.publish_attendance,
           coalesce((SELECT array_to_json(array_agg(s.name ORDER BY h.position))::text
                     FROM workshop_hosts h JOIN stakeholders s ON s.id = h.stakeholder_id
                     WHERE h.workshop_id = w.id), '[]') AS hosts
    FROM workshops w JOIN consultations c ON c.id = w.consultation_id
    """

  static func decodeWorkshop(_ row: PostgresRow) throws -> Workshop {
    Workshop(
      id: try row.decode("id"), key: try row.decode("key"), title: try row.decode("title"),
      venue: try row.decode("venue", as: String?.self),
      startsAt: try row.decode("starts_at", as: PostgresTimestamp.self).date,
      endsAt: try row.decode("ends_at", as: PostgresTimestamp.self).date, timeZone: try row.decode("time_zone"),
      chathamHouse: try row.decode("chatham_house"), publishAttendance: try row.decode("publish_attendance"),
      state: try row.decode("state"),
      hosts: try row.decode("hosts", as: PostgresJSON.self).decode([String].self))
  }
}
