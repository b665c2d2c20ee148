import ConsultCore
import Foundation
import Postgres

/// One way the event log and the stored states disagree, found by ``ConsultStore/checkLog(of:)``.
public struct LogDiscrepancy: Sendable, Equatable, Encodable, CustomStringConvertible {
  /// The entity's kind as stored in the log or implied by its table (`workshop`, …).
  public let entityKind: String
  /// The entity's id.
  public let entityID: Int64
  /// The event-log row concerned, if the finding is about one event.
  public let eventID: Int64?
  /// What is wrong, in one sentence.
  public let message: String

  /// Creates a finding.
  public init(entityKind: String, entityID: Int64, eventID: Int64?, message: String) {
    self.entityKind = entityKind
    self.entityID = entityID
    self.eventID = eventID
    self.message = message
  }

  /// `workshop #3, event #17: …` or `workshop #3: …`.
  public var description: String {
    "\(entityKind) #\(entityID)\(eventID.map { ", event #\($0)" } ?? ""): \(message)"
  }
}

/// The result of replaying the event log: ``ConsultStore/checkLog(of:)``.
public struct LogCheckReport: Sendable, Equatable, Encodable {
  /// How many events were replayed.
  public let events: Int
  /// How many entities (with events, or stored) were checked.
  public let entities: Int
  /// Every disagreement found, by entity (kind, id), then event id; empty when the log is the truth.
  public let discrepancies: [LogDiscrepancy]

  /// Whether the log reproduces every stored state.
  public var isConsistent: Bool { discrepancies.isEmpty }
}

extension ConsultStore {
  /// Replays the event log and compares it with the stored states (issue 3: "the event log is
  /// the truth").
  ///
  /// For every entity: its first event must be a creation event (`from_state` NULL, `to_state`
  /// the initial state of its machine) — for a contribution created by an import batch, its
  /// batch's `import` event (migration 0040), into that state, after which its own events
  /// continue (one with none must still be in that state); each later event's `from_state` must be the previous
  /// event's `to_state`; each event must be declared in the machine of the workflow version the
  /// event was recorded under (the event exists and leads from `from_state` to `to_state`;
  /// guards are not re-evaluated, since the facts they read are not kept historically) — except a
  /// workflow migration event (``WorkflowMigrationPlan/eventName``), which must only chain and
  /// enter a state of the version it was recorded under (the version migrated to); and the
  /// last event's `to_state` must be the entity's stored state. An entity with no events, and
  /// events of an entity that does not exist, are reported too.
  ///
  /// Runs in one REPEATABLE READ, read-only transaction (one snapshot of log and tables); the
  /// events are read in pages ordered by (entity kind, entity id, id), so memory grows with the
  /// number of entities, not of events.
  ///
  /// - Parameters:
  ///   - slug: One consultation, or `nil` for the whole database.
  ///   - pageSize: How many events to read per query (tests use small pages).
  /// - Returns: The counts and every discrepancy.
  /// - Throws: ``StoreError`` (`.notFound` for an unknown consultation, `.database`).
  public func checkLog(of slug: String? = nil, pageSize: Int = 5000) throws -> LogCheckReport {
    try translatingErrors("log check") {
      try connection.withTransaction(isolation: .repeatableRead) {
        try connection.execute("SET TRANSACTION READ ONLY")
        let consultationID = try slug.map { try consultation($0).id }
        var replay = LogReplay(stored: try storedStates(consultationID: consultationID))
        var cursor: (kind: String, entity: Int64, id: Int64) = ("", 0, 0)
        while true {
          let rows = try connection.query(
            """
            SELECT e.id, e.entity_kind, e.entity_id, e.event, e.from_state, e.to_state, e.workflow_name,
                   e.workflow_version, o.id AS origin_id, o.to_state AS origin_state
            FROM events e
            -- A contribution created by an import batch (migration 0040): its batch's event is its
            -- creation, so its first own event continues from the batch event's state.
            LEFT JOIN LATERAL (SELECT b.id, b.to_state FROM contributions k
                               JOIN events b ON b.entity_kind = 'contribution-batch' AND b.entity_id = k.batch_id
                                 AND b.from_state IS NULL
                               WHERE e.entity_kind = 'contribution' AND e.from_state IS NOT NULL
                                 AND k.id = e.entity_id) o ON true
            WHERE ($1::bigint IS NULL OR e.consultation_id = $1)
              AND e.consultation_id IS NOT NULL  -- the stakeholder register has no workflow (0016)
              AND (e.entity_kind, e.entity_id, e.id) > ($2::text, $3::bigint, $4::bigint)
            ORDER BY e.entity_kind, e.entity_id, e.id
            LIMIT $5
            """, [consultationID, cursor.kind, cursor.entity, cursor.id, pageSize])
          for row in rows {
            let event = LoggedEvent(
              id: try row.decode("id"), kind: try row.decode("entity_kind"), entityID: try row.decode("entity_id"),
              event: try row.decode("event"), from: try row.decode("from_state", as: String?.self),
              to: try row.decode("to_state"), workflowName: try row.decode("workflow_name"),
              workflowVersion: try row.decode("workflow_version"),
              origin: try row.decode("origin_id", as: Int64?.self).map {
                (eventID: $0, state: try row.decode("origin_state", as: String.self))
              })
            let machine = machine(for: event, in: &replay)
            replay.apply(event, machine: machine)
            cursor = (event.kind, event.entityID, event.id)
          }
          if rows.count < pageSize { break }
        }
        // Contributions created by an import batch with no event of their own: still in the state
        // their batch's event created them in (migration 0040).
        for row in try connection.query(
          """
          SELECT k.id, k.state, b.id AS event_id, b.to_state FROM contributions k
          LEFT JOIN events b ON b.entity_kind = 'contribution-batch' AND b.entity_id = k.batch_id
            AND b.from_state IS NULL
          WHERE k.batch_id IS NOT NULL AND ($1::bigint IS NULL OR k.consultation_id = $1)
            AND NOT EXISTS (SELECT 1 FROM events x WHERE x.entity_kind = 'contribution' AND x.entity_id = k.id)
          """, [consultationID])
        {
          replay.batchCreated(
            id: try row.decode("id"), state: try row.decode("state"),
            origin: try row.decode("event_id", as: Int64?.self).map {
              (eventID: $0, state: try row.decode("to_state", as: String.self))
            })
        }
        return replay.finish()
      }
    }
  }

  /// The machine an event was recorded under, or `nil` (with a discrepancy noted once per
  /// workflow version) when it cannot be loaded.
  private func machine(for event: LoggedEvent, in replay: inout LogReplay) -> StateMachine? {
    guard let kind = event.kind == Self.batchKind ? .contribution : EntityKind(rawValue: event.kind) else {
      return nil
    }
    do {
      return try workflow(name: event.workflowName, version: event.workflowVersion).machine(for: kind)
    } catch {
      replay.note(event, "its workflow \(event.workflowName)@\(event.workflowVersion) cannot be loaded: \(error)")
      return nil
    }
  }

  /// The stored state of every entity (of one consultation, or all), by kind and id.
  private func storedStates(consultationID: Int64?) throws -> [EntityReference: String] {
    var result: [EntityReference: String] = [:]
    for kind in EntityKind.allCases {
      for row in try connection.query(Self.storedStatesSQL(kind), [consultationID]) {
        result[EntityReference(kind, try row.decode("id"))] = try row.decode("state")
      }
    }
    return result
  }

  /// The entity kind of an import batch's event (migration 0040): not a workflow entity; its one
  /// event creates the batch's contributions.
  static let batchKind = "contribution-batch"

  /// A fixed statement per kind (no values spliced); `$1` is a consultation id or NULL for all.
  static func storedStatesSQL(_ kind: EntityKind) -> String {
    switch kind {
    case .consultation:
      return "SELECT id, state FROM consultations WHERE $1::bigint IS NULL OR id = $1"
    case .workshop:
      return "SELECT id, state FROM workshops WHERE $1::bigint IS NULL OR consultation_id = $1"
    case .invitation:
      return "SELECT id, state FROM invitations WHERE $1::bigint IS NULL OR consultation_id = $1"
    case .contribution:
      // Without those an import batch created that have no event of their own (checked apart).
      return """
        SELECT k.id, k.state FROM contributions k
        WHERE ($1::bigint IS NULL OR k.consultation_id = $1)
          AND (k.batch_id IS NULL
               OR EXISTS (SELECT 1 FROM events x WHERE x.entity_kind = 'contribution' AND x.entity_id = k.id))
        """
    case .proceedingsSummary:
      return "SELECT id, state FROM proceedings_summaries WHERE $1::bigint IS NULL OR consultation_id = $1"
    case .draft:
      return "SELECT id, state FROM drafts WHERE $1::bigint IS NULL OR consultation_id = $1"
    case .comment:
      return "SELECT id, state FROM draft_comments WHERE $1::bigint IS NULL OR consultation_id = $1"
    }
  }
}

/// One row of the event log, as the replay reads it.
struct LoggedEvent {
  let id: Int64
  let kind: String
  let entityID: Int64
  let event: String
  let from: String?
  let to: String
  let workflowName: String
  let workflowVersion: String
  /// For a contribution's event that starts from a state: the event of the import batch that
  /// created the contribution, and the state it created it in (migration 0040); else nil.
  var origin: (eventID: Int64, state: String)? = nil
}

/// The replay's state: events arrive grouped by entity, in id order.
struct LogReplay {
  /// Stored states not yet matched with a log entity.
  private var stored: [EntityReference: String]
  private var current: (kind: String, id: Int64, state: String, lastEvent: Int64)?
  private var discrepancies: [LogDiscrepancy] = []
  private var events = 0
  private var entities = 0
  private var unloadable: Set<String> = []

  init(stored: [EntityReference: String]) {
    self.stored = stored
  }

  mutating func note(_ event: LoggedEvent, _ message: String) {
    let key = "\(event.workflowName)@\(event.workflowVersion)/\(event.kind)"
    guard unloadable.insert(key).inserted else { return }
    add(event.kind, event.entityID, event.id, message)
  }

  private mutating func add(_ kind: String, _ id: Int64, _ eventID: Int64?, _ message: String) {
    discrepancies.append(LogDiscrepancy(entityKind: kind, entityID: id, eventID: eventID, message: message))
  }

  /// Checks one event against the previous one of the same entity and against `machine`.
  mutating func apply(_ event: LoggedEvent, machine: StateMachine?) {
    events += 1
    let label = "'\(event.event)' (\(event.from ?? "—") → \(event.to))"
    if let current, current.kind == event.kind, current.id == event.entityID {
      if event.from != current.state {
        add(
          event.kind, event.entityID, event.id,
          "\(label) starts from '\(event.from ?? "NULL")', but the previous event (#\(current.lastEvent)) "
            + "left it in '\(current.state)'")
      }
    } else {
      finishEntity()
      // An import batch is no workflow entity: its contributions are counted instead.
      if event.kind != ConsultStore.batchKind { entities += 1 }
      if let origin = event.origin, let from = event.from {
        // Created by its import batch's event (migration 0040).
        if from != origin.state {
          add(
            event.kind, event.entityID, event.id,
            "\(label) starts from '\(from)', but its import batch's event (#\(origin.eventID)) created it in "
              + "'\(origin.state)'")
        }
      } else if event.from != nil {
        add(
          event.kind, event.entityID, event.id,
          "the first event \(label) is not a creation event (from_state must be NULL)")
      }
    }
    current = (event.kind, event.entityID, event.to, event.id)

    if event.kind == ConsultStore.batchKind {
      // An import batch (migration 0040): one creation event, into the contributions' initial state.
      if event.from != nil {
        add(event.kind, event.entityID, event.id, "\(label): an import batch has no event but its creation")
      } else if let machine, event.to != machine.initialState {
        add(
          event.kind, event.entityID, event.id,
          "the import batch's event \(label) does not create contributions in the initial state "
            + "'\(machine.initialState)' of \(event.workflowName)@\(event.workflowVersion)")
      }
      return
    }
    guard EntityKind(rawValue: event.kind) != nil else {
      add(event.kind, event.entityID, event.id, "unknown entity kind '\(event.kind)'")
      return
    }
    guard let machine else { return }
    let workflow = "\(event.workflowName)@\(event.workflowVersion)"
    if event.from != nil, event.event == WorkflowMigrationPlan.eventName {
      // A workflow migration moves the entity between versions and is a transition of neither
      // machine: it only has to chain (above) and land in a state of the version it moved to.
      if !machine.hasState(event.to) {
        add(
          event.kind, event.entityID, event.id,
          "\(label) migrates to a state \(workflow) does not declare for \(event.kind)")
      }
    } else if let from = event.from, RecordEvent.names.contains(event.event) {
      // A record event changes the entity's data, not its state.
      if !RecordEvent.isRecordEvent(event.event, from: from, to: event.to) {
        add(event.kind, event.entityID, event.id, "\(label) is a record event but changes the state")
      }
    } else if let from = event.from {
      if !machine.transitions(for: event.event, from: from).contains(where: { $0.to == event.to }) {
        let reason =
          machine.events.contains(event.event)
          ? "\(workflow) has no transition '\(event.event)' from '\(from)' to '\(event.to)'"
          : "\(workflow) declares no event '\(event.event)' for \(event.kind)"
        add(event.kind, event.entityID, event.id, "\(label) is not allowed: \(reason)")
      }
    } else if event.to != machine.initialState {
      add(
        event.kind, event.entityID, event.id,
        "the creation event \(label) does not enter the initial state '\(machine.initialState)' of \(workflow)")
    }
  }

  /// Checks a contribution that an import batch created and that has no event of its own: its
  /// stored state must be the one the batch's event (nil: missing) created it in.
  mutating func batchCreated(id: Int64, state: String, origin: (eventID: Int64, state: String)?) {
    entities += 1
    guard let origin else {
      add(
        EntityKind.contribution.rawValue, id, nil,
        "stored in state '\(state)' but neither it nor its import batch has an event in the log")
      return
    }
    if state != origin.state {
      add(
        EntityKind.contribution.rawValue, id, nil,
        "stored state is '\(state)', but its import batch's event (#\(origin.eventID)) created it in "
          + "'\(origin.state)'")
    }
  }

  /// Compares the entity just replayed with its stored state.
  private mutating func finishEntity() {
    guard let current else { return }
    self.current = nil
    guard current.kind != ConsultStore.batchKind else { return }
    guard let kind = EntityKind(rawValue: current.kind) else { return }
    let reference = EntityReference(kind, current.id)
    guard let state = stored.removeValue(forKey: reference) else {
      add(current.kind, current.id, nil, "the log has events for it, but it does not exist")
      return
    }
    if state != current.state {
      add(
        current.kind, current.id, nil,
        "stored state is '\(state)', but the log (last event #\(current.lastEvent)) leaves it in '\(current.state)'")
    }
  }

  /// Ends the replay: the last entity, then every stored entity the log never mentioned.
  mutating func finish() -> LogCheckReport {
    finishEntity()
    for (reference, state) in stored {
      entities += 1
      add(reference.kind.rawValue, reference.id, nil, "stored in state '\(state)' but has no events in the log")
    }
    let sorted = discrepancies.enumerated().sorted { a, b in
      (a.element.entityKind, a.element.entityID, a.offset) < (b.element.entityKind, b.element.entityID, b.offset)
    }.map(\.element)
    return LogCheckReport(events: events, entities: entities, discrepancies: sorted)
  }
}
