import ConsultCore
import Foundation
import Postgres

/// A reference to one entity that moves through a workflow.
public struct EntityReference: Sendable, Hashable, CustomStringConvertible {
  /// Which machine of the workflow governs it.
  public let kind: EntityKind
  /// Its id (the table's identity column).
  public let id: Int64
  /// Makes a reference.
  public init(_ kind: EntityKind, _ id: Int64) {
    self.kind = kind
    self.id = id
  }
  /// "workshop #3".
  public var description: String { "\(kind.rawValue) #\(id)" }
}

/// One recorded state change, as appended to the event log.
public struct TransitionRecord: Sendable, Equatable, Encodable {
  /// The event-log row's id.
  public let eventID: Int64
  /// The entity's kind (`workshop`, `proceedings-summary`, …).
  public let entityKind: String
  /// The entity's id.
  public let entityID: Int64
  /// The event that fired.
  public let event: String
  /// The state before; nil when the entity was created.
  public let fromState: String?
  /// The state after.
  public let toState: String
}

/// The loaded state of one entity, inside a transaction.
struct EntityState {
  let consultationID: Int64
  let state: String
  let version: Int
  let workflowName: String
  let workflowVersion: String
  /// The state of the entity's consultation (its own state for a consultation).
  let consultationState: String
}

extension ConsultStore {
  /// Fires `event` on an entity: loads the entity, asks the workflow core to decide, then
  /// compares-and-sets the new state and appends to the event log in one statement, which is the
  /// transition's one write and so its transaction.
  ///
  /// The reads run without an explicit transaction block: under READ COMMITTED (PostgreSQL docs
  /// §13.2.1) a block would give them no common snapshot, and the compare-and-set on the entity's
  /// version already refuses a write based on a state that has moved on. Leaving out `BEGIN` and
  /// `COMMIT` saves two round trips per transition (Benchmarks/transitions.sh).
  ///
  /// - Parameters:
  ///   - event: The event name from the consultation's workflow file.
  ///   - entity: The entity.
  ///   - actor: Who did it (recorded in the event log).
  ///   - reason: Optional free text recorded with the event.
  ///   - time: When it happened, for recording past events; nil means now
  ///     (the database clock). Stored in UTC, microsecond precision.
  /// - Returns: The recorded transition.
  /// - Throws: ``StoreError``: `.refused` (with the core's ``Refusal``) when
  ///   the workflow does not allow it now; `.conflict` when another writer
  ///   changed the entity after we read it (nothing written; retry);
  ///   `.notFound`.
  @discardableResult
  public func fire(
    _ event: String, on entity: EntityReference, actor: String, reason: String? = nil, at time: Date? = nil
  ) throws -> TransitionRecord {
    try translatingErrors("\(entity)") {
      try applyTransition(event, on: entity, actor: actor, reason: reason, at: time)
    }
  }

  /// The body of ``fire(_:on:actor:reason:at:)`` for a caller that already holds
  /// an open transaction (e.g. a use case that creates and then transitions).
  ///
  /// Concurrency: the entity is read without a lock and updated with
  /// `WHERE id = $1 AND version = $2`, in the statement that appends the event. Under READ COMMITTED a concurrent
  /// writer's UPDATE waits for ours and then matches no row, so exactly one
  /// of two concurrent transitions wins (PostgreSQL docs §13.2.1).
  ///
  /// `data`, when given, is stored with the event as a JSON object of strings (a comment
  /// decision's response and resolving revision), covered by the event's hash.
  ///
  /// - Throws: as ``fire(_:on:actor:reason:at:)``.
  public func applyTransition(
    _ event: String, on entity: EntityReference, actor: String, reason: String?, at time: Date? = nil,
    data: [String: String?]? = nil
  ) throws -> TransitionRecord {
    let loaded = try load(entity)
    let definition = try workflow(name: loaded.workflowName, version: loaded.workflowVersion)
    if entity.kind != .consultation {
      try Self.requireOpen(state: loaded.consultationState, of: definition, doing: "'\(event)' on \(entity)")
    }
    let machine = try definition.machine(for: entity.kind)
    let facts = try facts(machine.requiredFacts, for: entity, consultationID: loaded.consultationID)
    let transition: Transition
    switch machine.decide(state: loaded.state, event: event, facts: facts) {
    case .success(let chosen): transition = chosen
    case .failure(let refusal): throw StoreError.refused(refusal)
    }
    if entity.kind == .proceedingsSummary && (event == "publish" || transition.to == "published") {
      try requireDisclosureCleared(summaryID: entity.id)  // Disclosure.swift: the Chatham House Rule
    }
    // The compare-and-set and the event-log append in one statement (one round trip): the INSERT
    // reads the UPDATE's RETURNING, so no row updated means no event and a conflict.
    let appended = try connection.queryPrepared(
      Self.transitionSQL(entity.kind),
      [
        transition.to, entity.id, loaded.version, loaded.consultationID, entity.kind.rawValue, event, loaded.state,
        actor, reason, loaded.workflowName, loaded.workflowVersion, time.map(PostgresTimestamp.init),
        data.map(Self.jsonObject), nil as String?,
      ])
    guard let row = appended.rows.first else {
      throw StoreError(
        .conflict,
        "\(entity) was changed by someone else while '\(event)' was being applied; nothing was written — check its state and try again"
      )
    }
    return TransitionRecord(
      eventID: try row.decode("id"), entityKind: entity.kind.rawValue, entityID: entity.id, event: event,
      fromState: loaded.state, toState: transition.to)
  }

  /// Compares-and-sets an entity's state and appends the event: `$1` new state, `$2` id, `$3` the
  /// version read, `$4` consultation, `$5` kind, `$6` event, `$7` old state, `$8` actor
  /// handle, `$9` reason, `$10`/`$11` workflow name and version, `$12` time or NULL for now, `$13`
  /// a record event's data (JSON) and `$14` its content hash (hex), else NULL. Returns the
  /// event's id, or no row when the entity's version moved on.
  static func transitionSQL(_ kind: EntityKind) -> String {
    """
    WITH moved AS (\(updateStateSQL(kind)) RETURNING id)
    INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state,
                        actor_id, reason, workflow_name, workflow_version, occurred_at, data, content_hash)
    SELECT $4, $5, moved.id, $6, $7, $1, consult_actor($8), $9, $10, $11,
           coalesce($12::timestamptz, clock_timestamp()), $13::jsonb, decode($14::text, 'hex')
    FROM moved
    RETURNING id
    """
  }

  /// Appends one row to the event log (the `events_chain` trigger chains and hashes it); a
  /// contribution's, summary's, draft's (its revision 1) or draft comment's creation event pins the
  /// entity's content (its `content_hash`, migrations 0012 and 0035).
  func appendEvent(
    consultationID: Int64, entity: EntityReference, event: String, from: String?, to: String, actor: String,
    reason: String?, workflow: (name: String, version: String), at time: Date? = nil
  ) throws -> TransitionRecord {
    let rows = try connection.query(
      """
      INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state,
                          actor_id, reason, workflow_name, workflow_version, occurred_at, content_hash)
      VALUES ($1, $2, $3, $4, $5, $6, consult_actor($7), $8, $9, $10, coalesce($11, clock_timestamp()),
              CASE WHEN $5::text IS NULL AND $2 = 'contribution' THEN
                     (SELECT consult_contribution_content(k.text, k.attribution, k.stakeholder_id)
                      FROM contributions k WHERE k.id = $3)
                   WHEN $5::text IS NULL AND $2 = 'proceedings-summary' THEN
                     (SELECT consult_summary_content(p.title, p.body) FROM proceedings_summaries p WHERE p.id = $3)
                   WHEN $5::text IS NULL AND $2 = 'draft' THEN
                     (SELECT consult_draft_revision_content(r.draft_id, r.revision, r.title, r.body)
                      FROM draft_revisions r WHERE r.draft_id = $3 AND r.revision = 1)
                   WHEN $5::text IS NULL AND $2 = 'comment' THEN
                     (SELECT consult_draft_comment_content(k.draft_id, k.revision, k.section, k.quote_exact,
                               k.quote_prefix, k.quote_suffix, k.stakeholder_id, k.attribution, k.comment_type,
                               k.body, k.proposed_change)
                      FROM draft_comments k WHERE k.id = $3)
              END)
      RETURNING id
      """,
      [
        consultationID, entity.kind.rawValue, entity.id, event, from, to, actor, reason, workflow.name,
        workflow.version, time.map(PostgresTimestamp.init),
      ])
    return TransitionRecord(
      eventID: try rows.rows[0].decode("id"), entityKind: entity.kind.rawValue, entityID: entity.id,
      event: event, fromState: from, toState: to)
  }

  /// Reads an entity's state, version and its consultation's workflow.
  func load(_ entity: EntityReference) throws -> EntityState {
    let rows = try connection.queryPrepared(Self.loadStateSQL(entity.kind), [entity.id])
    guard let row = rows.rows.first else {
      throw StoreError(.notFound, "\(entity) does not exist")
    }
    return EntityState(
      consultationID: try row.decode("consultation_id"), state: try row.decode("state"),
      version: try row.decode("version"), workflowName: try row.decode("workflow_name"),
      workflowVersion: try row.decode("workflow_version"), consultationState: try row.decode("consultation_state"))
  }

  /// Counts what the guards of a machine read, for one entity.
  ///
  /// - Parameters:
  ///   - required: The facts the machine's guards name.
  ///   - entity: The entity whose guards are evaluated.
  ///   - consultationID: Its consultation.
  /// - Returns: The observed values; facts not listed are 0.
  func facts(_ required: Set<FactReference>, for entity: EntityReference, consultationID: Int64) throws -> Facts {
    var values: [FactReference: Int] = [:]
    let byRelation = Dictionary(grouping: required, by: { $0.relation })
    for (relation, references) in byRelation {
      guard let sql = Self.factSQL(owner: entity.kind, relation: relation) else {
        throw StoreError(.invalidInput, "\(entity.kind.rawValue) has no relation '\(relation.name)'")
      }
      let ownerID = relation.isParent && relation.kind == .consultation ? consultationID : entity.id
      var counts: [String: Int] = [:]
      var total = 0
      for row in try connection.query(sql, [ownerID]) {
        let count: Int = try row.decode("count")
        counts[try row.decode("state")] = count
        total += count
      }
      for reference in references {
        values[reference] = reference.state.map { counts[$0] ?? 0 } ?? total
      }
    }
    return Facts(values)
  }

  // MARK: - SQL by entity kind (fixed statements chosen by a switch; no values spliced)

  static func loadStateSQL(_ kind: EntityKind) -> String {
    switch kind {
    case .consultation:
      return """
        SELECT id AS consultation_id, state, version, workflow_name, workflow_version, state AS consultation_state
        FROM consultations WHERE id = $1
        """
    case .workshop:
      return """
        SELECT e.consultation_id, e.state, e.version, c.workflow_name, c.workflow_version, c.state AS consultation_state
        FROM workshops e JOIN consultations c ON c.id = e.consultation_id WHERE e.id = $1
        """
    case .invitation:
      return """
        SELECT e.consultation_id, e.state, e.version, c.workflow_name, c.workflow_version, c.state AS consultation_state
        FROM invitations e JOIN consultations c ON c.id = e.consultation_id WHERE e.id = $1
        """
    case .contribution:
      return """
        SELECT e.consultation_id, e.state, e.version, c.workflow_name, c.workflow_version, c.state AS consultation_state
        FROM contributions e JOIN consultations c ON c.id = e.consultation_id WHERE e.id = $1
        """
    case .proceedingsSummary:
      return """
        SELECT e.consultation_id, e.state, e.version, c.workflow_name, c.workflow_version, c.state AS consultation_state
        FROM proceedings_summaries e JOIN consultations c ON c.id = e.consultation_id WHERE e.id = $1
        """
    case .draft:
      return """
        SELECT e.consultation_id, e.state, e.version, c.workflow_name, c.workflow_version, c.state AS consultation_state
        FROM drafts e JOIN consultations c ON c.id = e.consultation_id WHERE e.id = $1
        """
    case .comment:
      return """
        SELECT e.consultation_id, e.state, e.version, c.workflow_name, c.workflow_version, c.state AS consultation_state
        FROM draft_comments e JOIN consultations c ON c.id = e.consultation_id WHERE e.id = $1
        """
    }
  }

  static func updateStateSQL(_ kind: EntityKind) -> String {
    switch kind {
    case .consultation:
      return "UPDATE consultations SET state = $1, version = version + 1 WHERE id = $2 AND version = $3"
    case .workshop:
      return "UPDATE workshops SET state = $1, version = version + 1 WHERE id = $2 AND version = $3"
    case .invitation:
      return "UPDATE invitations SET state = $1, version = version + 1 WHERE id = $2 AND version = $3"
    case .contribution:
      return "UPDATE contributions SET state = $1, version = version + 1 WHERE id = $2 AND version = $3"
    case .proceedingsSummary:
      return
        "UPDATE proceedings_summaries SET state = $1, version = version + 1 WHERE id = $2 AND version = $3"
    case .draft:
      return "UPDATE drafts SET state = $1, version = version + 1 WHERE id = $2 AND version = $3"
    case .comment:
      return "UPDATE draft_comments SET state = $1, version = version + 1 WHERE id = $2 AND version = $3"
    }
  }

  /// The statement counting a relation's members by state; `$1` is the
  /// owning entity's id (the consultation's id for the `consultation` relation).
  static func factSQL(owner: EntityKind, relation: Relation) -> String? {
    switch (owner, relation.kind, relation.isParent) {
    case (_, .consultation, true):
      return "SELECT state, 1 AS count FROM consultations WHERE id = $1"
    case (.consultation, .workshop, false):
      return "SELECT state, count(*) AS count FROM workshops WHERE consultation_id = $1 GROUP BY state"
    case (.consultation, .invitation, false):
      return "SELECT state, count(*) AS count FROM invitations WHERE consultation_id = $1 GROUP BY state"
    case (.consultation, .contribution, false):
      return "SELECT state, count(*) AS count FROM contributions WHERE consultation_id = $1 GROUP BY state"
    case (.consultation, .proceedingsSummary, false):
      return
        "SELECT state, count(*) AS count FROM proceedings_summaries WHERE consultation_id = $1 GROUP BY state"
    case (.workshop, .invitation, false):
      return "SELECT state, count(*) AS count FROM invitations WHERE workshop_id = $1 GROUP BY state"
    case (.workshop, .contribution, false):
      return "SELECT state, count(*) AS count FROM contributions WHERE workshop_id = $1 GROUP BY state"
    case (.workshop, .proceedingsSummary, false):
      return
        "SELECT state, count(*) AS count FROM proceedings_summaries WHERE workshop_id = $1 GROUP BY state"
    case (.invitation, .workshop, true):
      return """
        SELECT w.state, 1 AS count FROM invitations e JOIN workshops w ON w.id = e.workshop_id WHERE e.id = $1
        """
    case (.proceedingsSummary, .workshop, true):
      return """
        SELECT w.state, 1 AS count FROM proceedings_summaries e JOIN workshops w ON w.id = e.workshop_id
        WHERE e.id = $1
        """
    case (.contribution, .workshop, true):
      return """
        SELECT w.state, 1 AS count FROM contributions e JOIN workshops w ON w.id = e.workshop_id WHERE e.id = $1
        """
    case (.draft, .comment, false):
      return "SELECT state, count(*) AS count FROM draft_comments WHERE draft_id = $1 GROUP BY state"
    case (.comment, .draft, true):
      return "SELECT d.state, 1 AS count FROM draft_comments e JOIN drafts d ON d.id = e.draft_id WHERE e.id = $1"
    default:
      return nil
    }
  }
}
