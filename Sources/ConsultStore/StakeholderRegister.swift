import ConsultCore
import Foundation
import Postgres

/// What changed in one edit of a stakeholder (``ConsultStore/editStakeholder(_:changes:actor:reason:at:)``).
///
/// A nil field is left as it is; an empty string clears an optional field (role, e-mail address,
/// group, organisation). The name cannot be cleared.
public struct StakeholderChanges: Sendable, Equatable {
  /// New display name.
  public var name: String?
  /// New contact e-mail address; "" clears it.
  public var email: String?
  /// New role or position; "" clears it.
  public var role: String?
  /// New stakeholder group key; "" clears it.
  public var group: String?
  /// Handle of the organisation a person now belongs to; "" clears it.
  public var organisation: String?

  /// Changes to make; every field defaults to "leave as it is".
  public init(
    name: String? = nil, email: String? = nil, role: String? = nil, group: String? = nil, organisation: String? = nil
  ) {
    self.name = name
    self.email = email
    self.role = role
    self.group = group
    self.organisation = organisation
  }
}

/// One event of the stakeholder register, as `consult stakeholder history` shows it.
public struct StakeholderEvent: Sendable, Equatable, Encodable {
  /// The event's id in the log.
  public let id: Int64
  /// `added` or `edited` (migration 0016), or `erase-personal-data` when the stakeholder was
  /// forgotten (migration 0020).
  public let event: String
  /// When it happened (UTC).
  public let occurredAt: Date
  /// The acting actor's handle (nil once the actor is erased).
  public let actor: String?
  /// The fields changed, e.g. `["email", "name"]` (for `added`: the facts recorded).
  public let changed: [String]
  /// The new values the event holds: only those that are not personal data (`group`,
  /// `organisation_id`, `kind`; for an erasure, `pseudonym`); a cleared field is absent.
  public let values: [String: String]
  /// The note recorded with it.
  public let reason: String?
}

extension ConsultStore {
  /// Edits a stakeholder, as one event of the stakeholder register (`edited`, migration 0016).
  ///
  /// The event names the stakeholder by id and lists which fields changed; it carries the new
  /// values only of fields that are not personal data (group, organisation id), so that the
  /// append-only log never holds a name, handle, role or e-mail address.
  ///
  /// - Parameters:
  ///   - handle: The stakeholder's handle.
  ///   - changes: What to change.
  ///   - actor: The handle of the registered actor making the change.
  ///   - reason: An optional note.
  ///   - time: When it changed, to record the past (not before the stakeholder's previous
  ///     event); nil: now.
  /// - Returns: The stakeholder as it now is.
  /// - Throws: ``StoreError``: `.notFound` (stakeholder, group, organisation, actor);
  ///   `.invalidInput` when nothing would change, for an empty name or one longer than
  ///   ``NameRule/maxNameLength``, or an organisation given
  ///   for an organisation; `.alreadyExists` when an organisation's new name matches another's.
  @discardableResult
  public func editStakeholder(
    _ handle: String, changes: StakeholderChanges, actor: String, reason: String? = nil, at time: Date? = nil
  ) throws -> Stakeholder {
    if let name = changes.name { try NameRule.requireName(name, "the stakeholder's name") }
    return try transaction("stakeholder \(handle)") {
      let found = try stakeholder(handle)
      let current = try connection.query(
        """
        SELECT name, email, role, stakeholder_group, organisation_id FROM stakeholders WHERE id = $1 FOR UPDATE
        """, [found.id]
      ).rows[0]
      let oldName: String = try current.decode("name")
      let oldEmail = try current.decode("email", as: String?.self)
      let oldRole = try current.decode("role", as: String?.self)
      let oldGroup = try current.decode("stakeholder_group", as: String?.self)
      let oldOrganisation = try current.decode("organisation_id", as: Int64?.self)
      func cleared(_ value: String?, _ old: String?) -> String?? {
        guard let value else { return .none }
        let new: String? = value.isEmpty ? nil : value
        return new == old ? .none : .some(new)
      }
      var changed: [String] = []
      var data: [String: String?] = [:]
      let name = changes.name.flatMap { $0 == oldName ? nil : $0 }
      if name != nil { changed.append("name") }
      let email = cleared(changes.email, oldEmail)
      if email != nil { changed.append("email") }
      let role = cleared(changes.role, oldRole)
      if role != nil { changed.append("role") }
      let group = cleared(changes.group, oldGroup)
      if case .some(let key?) = group,
        try connection.query("SELECT 1 FROM stakeholder_groups WHERE key = $1", [key]).isEmpty
      {
        let known = try stakeholderGroups().map(\.key)
        throw StoreError(
          .invalidInput,
          "unknown stakeholder group '\(key)'\(Phrasing.didYouMean(key, among: known)); known groups: "
            + known.joined(separator: ", "))
      }
      if let group {
        changed.append("group")
        data["group"] = group
      }
      var organisation: Int64?? = .none
      if let given = changes.organisation {
        guard found.kind == .person else {
          throw StoreError(.invalidInput, "only a person can belong to an organisation")
        }
        var id: Int64?
        if !given.isEmpty {
          let org = try stakeholder(given)
          guard org.kind == .organisation else {
            throw StoreError(.invalidInput, "'\(given)' is a person, not an organisation")
          }
          id = org.id
        }
        if id != oldOrganisation { organisation = .some(id) }
      }
      if let organisation {
        changed.append("organisation")
        data["organisation_id"] = organisation.map(String.init)
      }
      guard !changed.isEmpty else {
        throw StoreError(.invalidInput, "nothing to change: \(handle) already has those values")
      }
      if found.kind == .organisation, let name {
        let clash = try connection.query(
          """
          SELECT coalesce(handle, name) AS who FROM stakeholders
          WHERE kind = 'organisation' AND match_key = consult_match_key($1) AND id <> $2
          """, [name, found.id])
        if let row = clash.rows.first {
          let who: String = try row.decode("who")
          throw StoreError(.alreadyExists, "organisation '\(name)' already exists as '\(who)'")
        }
      }
      try connection.execute(
        """
        UPDATE stakeholders SET
          name = coalesce($2, name),
          match_key = CASE WHEN kind = 'organisation' AND $2::text IS NOT NULL THEN consult_match_key($2) ELSE match_key END,
          email = CASE WHEN $3 THEN $4 ELSE email END,
          role = CASE WHEN $5 THEN $6 ELSE role END,
          stakeholder_group = CASE WHEN $7 THEN $8 ELSE stakeholder_group END,
          organisation_id = CASE WHEN $9 THEN $10::bigint ELSE organisation_id END
        WHERE id = $1
        """,
        [
          found.id, name, email != nil, email ?? nil, role != nil, role ?? nil, group != nil, group ?? nil,
          organisation != nil, organisation ?? nil,
        ])
      data["changed"] = changed.sorted().joined(separator: ",")
      try appendRegisterEvent(
        "edited", stakeholder: found.id, created: false, actor: actor, reason: reason, data: data, at: time)
      return try stakeholder(handle)
    }
  }

  /// The stakeholder register's events of one stakeholder, oldest first.
  ///
  /// - Parameter handle: The stakeholder's handle.
  /// - Returns: Its events.
  /// - Throws: ``StoreError`` (`.notFound`).
  public func stakeholderHistory(_ handle: String) throws -> [StakeholderEvent] {
    try translatingErrors("history of stakeholder \(handle)") {
      let found = try stakeholder(handle)
      return try connection.query(
        """
        SELECT e.id, e.event, e.occurred_at, a.handle AS actor, e.reason, e.data::text AS data
        FROM events e LEFT JOIN actors a ON a.id = e.actor_id
        WHERE e.entity_kind = 'stakeholder' AND e.entity_id = $1
        ORDER BY e.id
        """, [found.id]
      ).map { row in
        let data = try row.decode("data", as: String?.self)
        let object =
          data.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
        let changed =
          (object["changed"] as? String).map { $0.split(separator: ",").map(String.init) }
          ?? object.keys.filter { object[$0] is String }.sorted()
        var values: [String: String] = [:]
        for (key, value) in object where key != "changed" && key != "events_redacted" {
          if let text = value as? String { values[key] = text }
        }
        return StakeholderEvent(
          id: try row.decode("id"), event: try row.decode("event"),
          occurredAt: try row.decode("occurred_at", as: PostgresTimestamp.self).date,
          actor: try row.decode("actor", as: String?.self), changed: changed, values: values,
          reason: try row.decode("reason", as: String?.self))
      }
    }
  }

  /// Appends an event of the stakeholder register (no consultation, no workflow; migration 0016)
  /// inside the caller's transaction; the `events_chain` trigger chains and hashes it.
  ///
  /// - Parameters:
  ///   - event: `added` or `edited`.
  ///   - id: The stakeholder's id.
  ///   - created: Whether the event creates the entity (no from-state).
  ///   - actor: A registered actor's handle.
  ///   - reason: An optional note.
  ///   - data: Non-personal facts of the change (strings or null).
  ///   - time: When; nil: now.
  func appendRegisterEvent(
    _ event: String, stakeholder id: Int64, created: Bool, actor: String, reason: String?,
    data: [String: String?], at time: Date?
  ) throws {
    try connection.execute(
      """
      INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id, reason,
                          workflow_name, workflow_version, occurred_at, data)
      VALUES (NULL, 'stakeholder', $1, $2, CASE WHEN $3 THEN NULL ELSE 'registered' END, 'registered',
              consult_actor($4), $5, NULL, NULL, coalesce($6::timestamptz, clock_timestamp()), $7::jsonb)
      """, [id, event, created, actor, reason, time.map(PostgresTimestamp.init), Self.jsonObject(data)])
  }
}
