import ConsultCore
import ConsultStore
import Foundation
import Postgres
import Testing

/// `consult log check`: replaying the event log reproduces every stored state, and tampering is found.
@Suite("Event log replay")
struct LogCheckTests {
  /// The scenario's database, with the counts the replay must report.
  func scenario() throws -> TestDatabase {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    return db
  }

  func entityCount(_ db: TestDatabase) throws -> Int {
    try ["consultations", "workshops", "invitations", "contributions", "proceedings_summaries"]
      .map { try db.count($0) }.reduce(0, +)
  }

  @Test func theScenarioReplaysCleanly() throws {
    let db = try scenario()
    for pageSize in [5000, 3, 1] {
      let report = try db.store.checkLog(pageSize: pageSize)
      #expect(report.discrepancies == [], "\(report.discrepancies)")
      #expect(report.events == (try db.consultationEventCount()))
      #expect(report.entities == (try entityCount(db)))
    }
    let one = try db.store.checkLog(of: Scenario.slug)
    #expect(one.isConsistent)
    #expect(one.events == (try db.consultationEventCount()))
  }

  @Test func anUnknownConsultationIsNotFound() throws {
    let db = try TestDatabase()
    #expect {
      _ = try db.store.checkLog(of: "nope")
    } throws: { ($0 as? StoreError)?.kind == .notFound }
  }

  @Test func aStateChangedBehindTheLogsBackIsReported() throws {
    let db = try scenario()
    let id: Int64 = try db.store.connection.query("SELECT id FROM workshops").rows[0].decode("id")
    try db.store.connection.execute("UPDATE workshops SET state = 'planned' WHERE id = $1", [id])
    let report = try db.store.checkLog()
    #expect(
      report.discrepancies.map(\.description) == [
        "workshop #\(id): stored state is 'planned', but the log (last event #"
          + "\(try lastEvent(db, "workshop", id))) leaves it in 'held'"
      ])
  }

  @Test func aRewrittenEventIsReported() throws {
    let db = try scenario()
    let connection = db.store.connection
    // The declined invitation: rewrite its 'decline' event to claim it ended in 'attended'.
    let row = try connection.query(
      "SELECT id, entity_id FROM events WHERE entity_kind = 'invitation' AND event = 'decline'"
    ).rows[0]
    let eventID: Int64 = try row.decode("id")
    let invitation: Int64 = try row.decode("entity_id")
    try connection.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
    try connection.execute("UPDATE events SET to_state = 'attended' WHERE id = $1", [eventID])
    // And an event nobody declared, on the consultation.
    let opened: Int64 = try connection.query(
      "SELECT id FROM events WHERE entity_kind = 'consultation' AND event = 'open-participation'"
    ).rows[0].decode("id")
    try connection.execute("UPDATE events SET event = 'fast-track' WHERE id = $1", [opened])
    // And a deleted creation event, for the workshop.
    let workshop: Int64 = try connection.query("SELECT id FROM workshops").rows[0].decode("id")
    try connection.execute(
      "DELETE FROM events WHERE entity_kind = 'workshop' AND entity_id = $1 AND from_state IS NULL", [workshop])
    try connection.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")

    let report = try db.store.checkLog()
    let lines = report.discrepancies.map(\.description)
    #expect(
      lines.contains(
        "consultation #1, event #\(opened): 'fast-track' (preparation → participatory-phase) is not allowed: "
          + "white-paper@2 declares no event 'fast-track' for consultation"), "\(lines)")
    #expect(
      lines.contains(
        "invitation #\(invitation), event #\(eventID): 'decline' (sent → attended) is not allowed: "
          + "white-paper@2 has no transition 'decline' from 'sent' to 'attended'"), "\(lines)")
    #expect(
      lines.contains {
        $0.hasPrefix("invitation #\(invitation): stored state is 'declined', but the log")
          && $0.hasSuffix("leaves it in 'attended'")
      }, "\(lines)")
    #expect(
      lines.contains {
        $0.hasPrefix("workshop #\(workshop), event #")
          && $0.hasSuffix("'schedule' (planned → scheduled) is not a creation event (from_state must be NULL)")
      }, "\(lines)")
    #expect(lines.count == 4, "\(lines)")
    // Scoped to the consultation, the same findings.
    #expect(try db.store.checkLog(of: Scenario.slug).discrepancies == report.discrepancies)
  }

  @Test func aStoredEntityWithoutEventsIsReported() throws {
    let db = try scenario()
    let connection = db.store.connection
    let contribution: Int64 = try connection.query("SELECT min(id) AS id FROM contributions").rows[0].decode("id")
    try connection.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
    try connection.execute(
      "DELETE FROM events WHERE entity_kind = 'contribution' AND entity_id = $1", [contribution])
    try connection.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")
    let report = try db.store.checkLog()
    #expect(
      report.discrepancies.map(\.description) == [
        "contribution #\(contribution): stored in state 'received' but has no events in the log"
      ])
  }

  func lastEvent(_ db: TestDatabase, _ kind: String, _ id: Int64) throws -> Int64 {
    try db.store.connection.query(
      "SELECT max(id) AS id FROM events WHERE entity_kind = $1 AND entity_id = $2", [kind, id]
    ).rows[0].decode("id")
  }
}

/// `consult workflow list`'s store function.
@Suite("Workflow registry")
struct WorkflowRegistryTests {
  @Test func listsRegisteredVersionsWithTheirConsultations() throws {
    let db = try TestDatabase()
    #expect(try db.store.registeredWorkflows() == [])
    try Scenario.build(db.store)
    let source = try String(contentsOf: Scenario.workflowFile, encoding: .utf8)
    try db.store.registerWorkflow(
      source: source.replacingOccurrences(of: "version: 2", with: "version: 3"), file: "white-paper-3.yaml")
    let listed = try db.store.registeredWorkflows()
    #expect(listed.map(\.name) == ["white-paper", "white-paper"])
    #expect(listed.map(\.version) == ["2", "3"])
    #expect(listed.map(\.consultations) == [1, 0])
    #expect(listed.allSatisfy { $0.contentHash.count == 64 })
    #expect(listed[0].contentHash != listed[1].contentHash)
  }
}
