import ConsultCore
import ConsultStore
import Foundation
import Postgres
import PropertyBased
import Testing

/// Property: random events fired through the store (``ConsultStore/fire(_:on:actor:reason:at:)``)
/// on a fresh scenario, with workflow migrations mixed in, leave a database whose event log
/// replays (``ConsultStore/checkLog(of:pageSize:)``) with no discrepancy and whose stored states
/// are the replay's, each declared by the consultation's current workflow version.
@Suite("Random event sequences through the store")
struct RandomEventLogTests {
  /// One step: which entity (or, rarely, a migration to the other version) and which event.
  static let steps = zip(Gen.int(in: 0...10_000), Gen.int(in: 0...10_000)).array(of: 5...40)

  @Test func theLogReplaysToTheStoredStates() async throws {
    let v1 = try WorkflowDefinition.parse(yaml: try WhitePaperVersions.v1, file: "white-paper.yaml")
    await propertyCheck(count: 4, input: Self.steps) { steps in
      let db = try TestDatabase()
      let store = db.store
      try Scenario.build(store)
      let start = Date(timeIntervalSince1970: 1_450_000_000)
      try store.addWorkshop(
        key: "second", to: Scenario.slug, title: "Second workshop", venue: nil, startsAt: start, endsAt: start,
        timeZone: "UTC", chathamHouse: false, hosts: [], actor: "planner")
      try store.draftSummary(for: "cyber-security", in: Scenario.slug, title: "Summary", body: "…", actor: "editor")
      // Version 12 renames the contribution state `received`, so migrations move entities too.
      try store.registerWorkflow(source: try WhitePaperVersions.renamingReceived(version: "12"), file: "wp-12.yaml")
      let shipped = try WhitePaperVersions.shipped
      var entities: [EntityReference] = []
      for kind in EntityKind.allCases {
        for row in try store.connection.query("SELECT id FROM " + ConsultStore.tableName(of: kind) + " ORDER BY id") {
          entities.append(EntityReference(kind, try row.decode("id")))
        }
      }
      var fired = 0
      for (entityPick, eventPick) in steps {
        if entityPick % 13 == 0 {
          let onV1 = try store.consultation(Scenario.slug).workflowVersion == shipped
          try store.migrateWorkflow(
            of: Scenario.slug, to: onV1 ? "12" : shipped,
            mapping: try StateMapping.parse([
              onV1 ? "contribution.received=submitted" : "contribution.submitted=received"
            ]),
            actor: "admin")
          continue
        }
        let entity = entities[entityPick % entities.count]
        let events = try v1.machine(for: entity.kind).events
        do {
          try store.fire(events[eventPick % events.count], on: entity, actor: "random")
          fired += 1
        } catch let error as StoreError where error.kind == .refused {
          // The workflow said no: nothing was written, which the replay below also proves.
        }
      }

      let report = try store.checkLog(of: Scenario.slug)
      #expect(report.discrepancies == [], "after \(fired) transitions: \(report.discrepancies)")
      #expect(report.events == (try db.consultationEventCount()))
      // The replay, computed independently: each entity's last logged state is its stored state.
      let replayed = try store.connection.query(
        """
        SELECT DISTINCT ON (entity_kind, entity_id) entity_kind, entity_id, to_state FROM events
        WHERE entity_kind <> 'stakeholder' ORDER BY entity_kind, entity_id, id DESC
        """)
      let current = try store.consultation(Scenario.slug)
      let definition = try WorkflowDefinition.parse(
        yaml: current.workflowVersion == shipped
          ? try WhitePaperVersions.v1 : try WhitePaperVersions.renamingReceived(version: "12"),
        file: "current.yaml")
      #expect(replayed.count == entities.count)
      for row in replayed {
        let kind = try #require(EntityKind(rawValue: try row.decode("entity_kind")))
        let id: Int64 = try row.decode("entity_id")
        let state: String = try row.decode("to_state")
        let rows = try store.connection.query(
          "SELECT state FROM " + ConsultStore.tableName(of: kind) + " WHERE id = $1", [id])
        let row = try #require(rows.rows.first, "\(kind) #\(id) is in the log but not stored")
        let stored: String = try row.decode("state")
        #expect(stored == state, "\(kind) #\(id)")
        #expect(try definition.machine(for: kind).hasState(stored), "\(kind) #\(id) in undeclared '\(stored)'")
      }
    }
  }
}
