import ConsultCore
import Foundation
import Postgres

/// What ``ConsultStore/migrateWorkflow(of:to:mapping:source:actor:reason:)`` did.
public struct WorkflowMigrationResult: Sendable, Equatable, Encodable {
  /// The consultation's slug.
  public let consultation: String
  /// The workflow's name.
  public let workflow: String
  /// The version it was on.
  public let fromVersion: String
  /// The version it is on now.
  public let toVersion: String
  /// Every state in use and where it went, by kind, then state.
  public let moves: [WorkflowMigrationPlan.Move]
  /// How many events were logged: one per entity whose state changed, plus one on the consultation.
  public let eventsLogged: Int
}

extension ConsultStore {
  /// Moves a consultation and all its entities to another registered version of its workflow, in
  /// one transaction.
  ///
  /// Every state in use goes to the state `mapping` names for it, else to the state of the same
  /// name in the new version (``WorkflowMigrationPlan/plan(from:to:statesInUse:mapping:)``); if any
  /// state in use has nowhere to go, nothing is written and the error lists them all.
  ///
  /// Concurrency: the consultation is compared-and-set on its `version` counter and locked
  /// (`FOR UPDATE`, which also holds back new entities, whose foreign keys need the row); its
  /// entities are locked and every one's `version` is bumped, so a transition read before the
  /// migration fails its own compare-and-set. Events appended afterwards under the old version
  /// are refused by the event log (migration 0004).
  ///
  /// Logged: one ``WorkflowMigrationPlan/eventName`` event on the consultation (its reason names
  /// the old and new version), and one per entity whose state changes (from its old state to its
  /// new one), all recorded under the new version.
  ///
  /// - Parameters:
  ///   - slug: The consultation.
  ///   - version: The version to move to, registered already or registered from `source`.
  ///   - mapping: The explicit state mapping (`--map`).
  ///   - source: A workflow file to register first (its text and path), in the same transaction;
  ///     it must be the consultation's workflow at `version`.
  ///   - actor: Who did it.
  ///   - reason: A note added to the consultation's migration event.
  /// - Returns: What moved where, and how many events were logged.
  /// - Throws: ``WorkflowError`` for an invalid file; ``StoreError``: `.notFound` (consultation or
  ///   version), `.invalidInput` (another workflow, the same version, a bad or incomplete
  ///   mapping), `.alreadyExists` (the file changes a version in use), `.conflict` (the
  ///   consultation changed meanwhile; nothing written).
  @discardableResult
  public func migrateWorkflow(
    of slug: String, to version: String, mapping: StateMapping = StateMapping(),
    source: (text: String, file: String)? = nil, actor: String, reason: String? = nil
  ) throws -> WorkflowMigrationResult {
    let fileDefinition = try source.map { try WorkflowDefinition.parse(yaml: $0.text, file: $0.file) }
    // A definition registered from `source` is cached while the transaction runs; if it rolls
    // back, it must not stay cached as if registered.
    defer { if let fileDefinition { workflowCache["\(fileDefinition.name)@\(fileDefinition.version)"] = nil } }
    return try transaction("consultation \(slug)") {
      let current = try connection.query(
        "SELECT id, version, state, workflow_name, workflow_version FROM consultations WHERE slug = $1", [slug])
      guard let row = current.rows.first else {
        _ = try consultation(slug)  // says there is none, with the one perhaps meant
        throw StoreError(.notFound, "no consultation '\(slug)'; see `consult list`")
      }
      let id: Int64 = try row.decode("id")
      let casVersion: Int = try row.decode("version")
      let state: String = try row.decode("state")
      let name: String = try row.decode("workflow_name")
      let oldVersion: String = try row.decode("workflow_version")

      if let fileDefinition, let source {
        guard fileDefinition.name == name else {
          throw StoreError(
            .invalidInput, "\(source.file) is workflow '\(fileDefinition.name)'; \(slug) runs workflow '\(name)'")
        }
        guard fileDefinition.version == version else {
          throw StoreError(
            .invalidInput, "\(source.file) declares version \(fileDefinition.version), not --to \(version)")
        }
        try register(fileDefinition, source: source.text, file: source.file)
      }
      // Compare-and-set: lock the consultation only if nobody changed it since it was read.
      if try connection.query(
        "SELECT 1 FROM consultations WHERE id = $1 AND version = $2 FOR UPDATE", [id, casVersion]
      ).isEmpty {
        throw StoreError(
          .conflict, "\(slug) was changed by someone else meanwhile; nothing was written — check it and try again")
      }
      let old = try workflow(name: name, version: oldVersion)
      let new: WorkflowDefinition
      do {
        new = try workflow(name: name, version: version)
      } catch let error as StoreError where error.kind == .notFound {
        throw StoreError(
          .notFound,
          "workflow \(name) version \(version) is not registered; give the file with --file FILE (see `consult workflow list`)"
        )
      }

      var statesInUse: [EntityKind: [String: Int]] = [.consultation: [state: 1]]
      for kind in Self.childKinds {
        for counted in try connection.query(Self.lockAndCountSQL(kind), [id]) {
          statesInUse[kind, default: [:]][try counted.decode("state")] = try counted.decode("count")
        }
      }
      let plan: WorkflowMigrationPlan
      do {
        plan = try WorkflowMigrationPlan.plan(from: old, to: new, statesInUse: statesInUse, mapping: mapping)
      } catch {
        throw StoreError(.invalidInput, "cannot migrate \(slug) from \(name)@\(oldVersion) to \(version): \(error)")
      }

      let newState = plan.target(of: state, in: .consultation) ?? state
      let updated = try connection.execute(
        """
        UPDATE consultations
        SET workflow_version = $2, state = $3, version = version + 1,
            workflow_hash = (SELECT content_hash FROM workflow_definitions WHERE name = $4 AND version = $2)
        WHERE id = $1 AND version = $5
        """, [id, version, newState, name, casVersion])
      guard updated == 1 else {
        throw StoreError(.conflict, "\(slug) was changed by someone else meanwhile; nothing was written — try again")
      }
      let note = "workflow \(name) version \(oldVersion) → \(version)"
      _ = try appendEvent(
        consultationID: id, entity: EntityReference(.consultation, id), event: WorkflowMigrationPlan.eventName,
        from: state, to: newState, actor: actor, reason: reason.map { "\(note): \($0)" } ?? note,
        workflow: (name, version))
      var logged = 1
      for kind in Self.childKinds {
        var changes: [String: String] = [:]
        for move in plan.moves where move.kind == kind && move.changesState { changes[move.from] = move.to }
        let json = String(decoding: try JSONEncoder().encode(changes), as: UTF8.self)
        if !changes.isEmpty {
          logged += try connection.execute(
            Self.logMigrationSQL(kind), [id, json, actor, note, name, version, WorkflowMigrationPlan.eventName])
        }
        try connection.execute(Self.migrateStatesSQL(kind), [id, json])
      }
      return WorkflowMigrationResult(
        consultation: slug, workflow: name, fromVersion: oldVersion, toVersion: version,
        moves: plan.moves,
        eventsLogged: logged)
    }
  }

  /// The kinds that belong to a consultation, in the order they are migrated.
  static let childKinds: [EntityKind] = [.workshop, .invitation, .contribution, .proceedingsSummary, .draft, .comment]

  /// Locks a consultation's entities of `kind` and counts them by state; `$1` is the consultation.
  static func lockAndCountSQL(_ kind: EntityKind) -> String {
    """
    SELECT state, count(*) AS count
    FROM (SELECT state FROM \(tableName(of: kind)) WHERE consultation_id = $1 FOR UPDATE) locked
    GROUP BY state
    """
  }

  /// Logs a migration event for every entity of `kind` whose state changes: `$1` consultation,
  /// `$2` the changes as a JSON object old → new, `$3` actor, `$4` reason, `$5`/`$6` the new
  /// workflow name and version, `$7` the event name.
  static func logMigrationSQL(_ kind: EntityKind) -> String {
    """
    WITH who AS (SELECT consult_actor($3) AS id)
    INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id, reason,
                        workflow_name, workflow_version)
    SELECT $1, '\(kind.rawValue)', t.id, $7, t.state, m.value, who.id, $4, $5, $6
    FROM \(tableName(of: kind)) t JOIN jsonb_each_text($2::jsonb) m ON m.key = t.state CROSS JOIN who
    WHERE t.consultation_id = $1
    ORDER BY t.id
    """
  }

  /// Moves every entity of `kind` to its new state and bumps every one's compare-and-set counter:
  /// `$1` consultation, `$2` the changes as a JSON object old → new.
  static func migrateStatesSQL(_ kind: EntityKind) -> String {
    """
    UPDATE \(tableName(of: kind)) SET state = coalesce($2::jsonb ->> state, state), version = version + 1
    WHERE consultation_id = $1
    """
  }
}
