import ConsultCore
import ConsultStore
import Foundation
import Postgres
import Testing

/// Variants of the shipped white-paper workflow, made by renaming states in its text.
enum WhitePaperVersions {
  /// The shipped file's text.
  static var v1: String { get throws { try String(contentsOf: Scenario.workflowFile, encoding: .utf8) } }
  /// The shipped file's version, which the scenario's consultation is pinned to.
  static var shipped: String {
    get throws { try WorkflowDefinition.parse(yaml: try v1, file: "white-paper.yaml").version }
  }

  /// The shipped text under another version.
  static func relabelled(_ version: String) throws -> String {
    try v1.replacingOccurrences(of: "\nversion: \(try shipped)\n", with: "\nversion: \(version)\n")
  }

  /// Version `version` with the workshop state `held` renamed to `took-place`.
  static func renamingHeld(version: String) throws -> String {
    var text = try relabelled(version)
    for (old, new) in [
      ("workshops.held", "workshops.took-place"), ("workshop.held", "workshop.took-place"),
      ("      held: {", "      took-place: {"), ("to: held", "to: took-place"), ("from: held", "from: took-place"),
    ] {
      text = text.replacingOccurrences(of: old, with: new)
    }
    return text
  }

  /// Version `version` with the contribution state `received` renamed to `submitted`.
  static func renamingReceived(version: String) throws -> String {
    var text = try relabelled(version)
    for (old, new) in [
      ("initial: received", "initial: submitted"), ("      received: {", "      submitted: {"),
      ("from: received", "from: submitted"),
    ] {
      text = text.replacingOccurrences(of: old, with: new)
    }
    return text
  }
}

@Suite("Workflow versions and migration")
struct WorkflowMigrationTests {
  func workshopState(_ db: TestDatabase) throws -> String {
    try db.store.workshop("cyber-security", in: Scenario.slug).state
  }

  @Test func aMigrationWithoutACompleteMappingIsRefusedAndChangesNothing() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    try db.store.registerWorkflow(source: try WhitePaperVersions.renamingHeld(version: "12"), file: "wp-2.yaml")
    let events = try db.count("events")
    let error = try #require(throws: StoreError.self) {
      try db.store.migrateWorkflow(of: Scenario.slug, to: "12", actor: "admin")
    }
    #expect(error.kind == .invalidInput)
    #expect(error.description.contains("white-paper@12 has no state for: workshop 'held' (1)"), "\(error)")
    #expect(error.description.contains("--map workshop.held=STATE"))
    // A mapping to a state the new version lacks is refused too.
    let bad = try #require(throws: StoreError.self) {
      try db.store.migrateWorkflow(
        of: Scenario.slug, to: "12", mapping: try StateMapping.parse(["workshop.held=gone"]), actor: "admin")
    }
    #expect(bad.description.contains("declares no state 'gone' for workshop"), "\(bad)")
    // An unregistered version is not found.
    #expect(throws: StoreError.self) { try db.store.migrateWorkflow(of: Scenario.slug, to: "99", actor: "admin") }
    #expect(try db.count("events") == events)
    #expect(try db.store.consultation(Scenario.slug).workflowVersion == (try WhitePaperVersions.shipped))
    #expect(try workshopState(db) == "held")
  }

  @Test func aMigrationWithACompleteMappingMovesEverythingAndTheLogReplays() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let events = try db.count("events")
    let result = try db.store.migrateWorkflow(
      of: Scenario.slug, to: "12", mapping: try StateMapping.parse(["workshop.held=took-place"]),
      source: (try WhitePaperVersions.renamingHeld(version: "12"), "wp-2.yaml"), actor: "admin",
      reason: "renamed held")
    #expect(result.fromVersion == (try WhitePaperVersions.shipped) && result.toVersion == "12")
    #expect(result.eventsLogged == 2)
    #expect(
      result.moves.contains(WorkflowMigrationPlan.Move(kind: .workshop, from: "held", to: "took-place", count: 1)))
    #expect(
      result.moves.contains(WorkflowMigrationPlan.Move(kind: .invitation, from: "attended", to: "attended", count: 3)))
    #expect(try db.count("events") == events + 2)
    #expect(try db.store.consultation(Scenario.slug).workflowVersion == "12")
    #expect(try workshopState(db) == "took-place")
    let logged = try db.store.connection.query(
      """
      SELECT entity_kind, from_state, to_state, workflow_version, reason FROM events
      WHERE event = 'migrate-workflow' ORDER BY id
      """)
    #expect(logged.count == 2)
    #expect(try logged[0].decode("entity_kind", as: String.self) == "consultation")
    #expect(
      try logged[0].decode("reason", as: String.self)
        == "workflow white-paper version \(try WhitePaperVersions.shipped) → 12: renamed held")
    #expect(try logged[1].decode("to_state", as: String.self) == "took-place")
    #expect(try logged[1].decode("workflow_version", as: String.self) == "12")
    #expect(try db.store.checkLog().discrepancies == [])

    // Life goes on under version 2: its guards read the renamed state.
    try db.store.draftSummary(for: "cyber-security", in: Scenario.slug, title: "Summary", body: "…", actor: "editor")
    for event in ["submit-for-review", "approve", "publish"] {
      try db.store.advanceSummary(for: "cyber-security", in: Scenario.slug, event: event, actor: "editor")
    }
    try db.store.advanceWorkshop("cyber-security", in: Scenario.slug, event: "summarise", actor: "editor")
    let report = try db.store.checkLog(of: Scenario.slug)
    #expect(report.discrepancies == [], "\(report.discrepancies)")
    #expect(report.events == (try db.consultationEventCount()))

    // And back to version 1, with the reverse mapping (a general OLD=NEW entry this time).
    let back = try db.store.migrateWorkflow(
      of: Scenario.slug, to: try WhitePaperVersions.shipped, mapping: try StateMapping.parse(["took-place=held"]),
      actor: "admin")
    #expect(back.eventsLogged == 1)  // the workshop is summarised now: only the consultation's event
    #expect(try db.store.checkLog().isConsistent)
  }

  @Test func changedContentUnderAVersionInUseIsRefusedNamingItsConsultations() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let changed = try WhitePaperVersions.renamingHeld(version: try WhitePaperVersions.shipped)
    let error = try #require(throws: StoreError.self) {
      try db.store.registerWorkflow(source: changed, file: "edited.yaml")
    }
    #expect(error.kind == .alreadyExists)
    #expect(error.description.contains("consultations on it: white-paper-2016"), "\(error)")
    // PostgreSQL itself refuses to change a pinned definition's content.
    #expect(throws: PostgresError.self) {
      try db.store.connection.execute(
        "UPDATE workflow_definitions SET content_hash = 'x' WHERE name = 'white-paper' AND version = $1",
        [try WhitePaperVersions.shipped])
    }

    // A registered version nothing uses may be replaced.
    try db.store.registerWorkflow(source: try WhitePaperVersions.renamingHeld(version: "13"), file: "a.yaml")
    let before = try #require(try db.store.registeredWorkflows().first { $0.version == "13" })
    try db.store.registerWorkflow(source: try WhitePaperVersions.renamingReceived(version: "13"), file: "b.yaml")
    let after = try #require(try db.store.registeredWorkflows().first { $0.version == "13" })
    #expect(before.contentHash != after.contentHash)

    // Once the consultation has moved away, its history still uses version 1.
    try db.store.migrateWorkflow(
      of: Scenario.slug, to: "13", mapping: try StateMapping.parse(["contribution.received=submitted"]), actor: "a")
    let history = try #require(throws: StoreError.self) {
      try db.store.registerWorkflow(source: changed, file: "edited.yaml")
    }
    #expect(
      history.description.contains("consultations whose event log was recorded under it: white-paper-2016"),
      "\(history)")
    #expect(try db.store.checkLog().isConsistent)
  }

  @Test func anEventUnderTheOldVersionAfterAMigrationIsAConflict() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    try db.store.registerWorkflow(source: try WhitePaperVersions.renamingReceived(version: "12"), file: "wp-2.yaml")
    let id = try db.store.consultation(Scenario.slug).id
    try db.store.migrateWorkflow(
      of: Scenario.slug, to: "12", mapping: try StateMapping.parse(["received=submitted"]), actor: "admin")
    let error = try #require(throws: PostgresError.self) {
      try db.store.connection.execute(
        """
        INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id,
                            workflow_name, workflow_version)
        VALUES ($1, 'consultation', $1, 'cancel', 'participatory-phase', 'cancelled', consult_actor('late'),
                'white-paper', $2)
        """, [id, try WhitePaperVersions.shipped])
    }
    #expect(error.sqlState == SQLState.serializationFailure)
  }

  @Test func workflowFilesMayNotDeclareTheMigrationEvent() throws {
    let text = try WhitePaperVersions.v1.replacingOccurrences(
      of: "event: begin-drafting", with: "event: migrate-workflow")
    #expect {
      _ = try WorkflowDefinition.parse(yaml: text, file: "x.yaml")
    } throws: { "\($0)".contains("event name 'migrate-workflow' in machine 'consultation' is reserved") }
  }
}
