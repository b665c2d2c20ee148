import Foundation
import Postgres
import Testing

@testable import ConsultStore

/// Migration 0036 turns the CHECK constraints of the tables a transition updates into row triggers
/// that fire only when their columns are written, and checks the workflow version and the
/// consultation's phase in the event log's own trigger. What a user relies on must not change:
/// every rule still refuses (SQLSTATE 23514 naming the same constraint, so the same message),
/// and the phase the order rule reads is the consultation's latest change of state.
@Suite("Transition checks once (migration 0036)")
struct TransitionChecksTests {
  /// Runs `sql` expecting a refusal by `constraint`.
  private func expectRefused(
    _ db: TestDatabase, _ constraint: String, _ sql: String, _ values: [(any PostgresEncodable)?] = []
  ) {
    do {
      try db.store.connection.withTransaction { try db.store.connection.execute(sql, values) }
      Issue.record("\(constraint): the statement was not refused: \(sql)")
    } catch let error as PostgresError {
      #expect(error.sqlState == "23514", "\(constraint): \(error.message)")
      #expect(error.constraint == constraint, "\(error.message)")
    } catch {
      Issue.record("\(constraint): unexpected \(error)")
    }
  }

  @Test("every rule moved out of CHECK still refuses a write of its column, naming its constraint")
  func rulesStillRefuse() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let workshop: Int64 = try db.store.connection.query("SELECT id FROM workshops LIMIT 1").rows[0].decode("id")
    let contribution: Int64 = try db.store.connection.query("SELECT id FROM contributions LIMIT 1").rows[0].decode(
      "id")
    let consultation: Int64 = try db.store.connection.query("SELECT id FROM consultations").rows[0].decode("id")
    expectRefused(db, "workshops_key_check", "UPDATE workshops SET key = 'Bad Key' WHERE id = $1", [workshop])
    expectRefused(db, "workshops_title_check", "UPDATE workshops SET title = '' WHERE id = $1", [workshop])
    expectRefused(
      db, "workshops_check", "UPDATE workshops SET ends_at = starts_at - interval '1 hour' WHERE id = $1", [workshop])
    expectRefused(
      db, "workshops_disclosure_threshold_check", "UPDATE workshops SET disclosure_threshold = 0 WHERE id = $1",
      [workshop])
    expectRefused(
      db, "workshops_key_check",
      """
      INSERT INTO workshops (consultation_id, key, title, starts_at, ends_at, time_zone, state)
      SELECT consultation_id, '-x', title, starts_at, ends_at, time_zone, state FROM workshops WHERE id = $1
      """, [workshop])
    expectRefused(
      db, "contributions_kind_check", "UPDATE contributions SET kind = 'rumour' WHERE id = $1", [contribution])
    expectRefused(db, "contributions_text_check", "UPDATE contributions SET text = '' WHERE id = $1", [contribution])
    expectRefused(
      db, "contributions_attribution_check", "UPDATE contributions SET attribution = 'everyone' WHERE id = $1",
      [contribution])
    expectRefused(
      db, "contributions_check", "UPDATE contributions SET kind = 'oral-statement', workshop_id = NULL WHERE id = $1",
      [contribution])
    expectRefused(
      db, "consultations_slug_check", "UPDATE consultations SET slug = 'No Slug' WHERE id = $1", [consultation])
    expectRefused(db, "consultations_title_check", "UPDATE consultations SET title = '' WHERE id = $1", [consultation])
    // The store's translation of a refusal reads as before (NameRules).
    do {
      _ = try db.store.transaction("workshop cyber-security") {
        try db.store.connection.execute(
          "UPDATE workshops SET ends_at = starts_at - interval '1 hour' WHERE id = $1", [workshop])
      }
      Issue.record("the store did not refuse a workshop ending before it starts")
    } catch let error as StoreError {
      #expect(error.message.contains("a workshop cannot end before it starts"), "\(error.message)")
    }
  }

  @Test("the phase the order rule reads is the consultation's latest change of state, as its events say")
  func phaseSinceFollowsTheLog() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let fromLog = """
      SELECT c.phase_since = (SELECT e.occurred_at FROM events e
                              WHERE e.entity_kind = 'consultation' AND e.entity_id = c.id
                                AND e.from_state IS DISTINCT FROM e.to_state
                              ORDER BY e.id DESC LIMIT 1) AS same, c.phase_since IS NOT NULL AS set
      FROM consultations c
      """
    var row = try db.store.connection.query(fromLog).rows[0]
    #expect(try row.decode("same", as: Bool.self) && row.decode("set", as: Bool.self))
    let store = db.store
    try store.draftSummary(
      for: "cyber-security", in: Scenario.slug, title: "Summary of the proceedings", body: "Norms.", actor: "editor")
    for (event, actor) in [("submit-for-review", "editor"), ("approve", "head"), ("publish", "press")] {
      try store.advanceSummary(for: "cyber-security", in: Scenario.slug, event: event, actor: actor)
    }
    try store.advanceWorkshop("cyber-security", in: Scenario.slug, event: "summarise", actor: "editor")
    try store.advanceConsultation(Scenario.slug, event: "close-participation", actor: "planner")
    row = try db.store.connection.query(fromLog).rows[0]
    #expect(try row.decode("same", as: Bool.self))
    // Nobody writes it but the log: dated back by hand, it would let backdated events pass.
    do {
      try db.store.connection.execute("UPDATE consultations SET phase_since = '1970-01-01'")
      Issue.record("phase_since was written directly")
    } catch {
      #expect(error.sqlState == "42501", "\(error.message)")
    }
    #expect(try db.store.connection.query(fromLog).rows[0].decode("same", as: Bool.self))
  }
}
