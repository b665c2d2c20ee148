import ConsultCore
import ConsultStore
import Foundation
import Postgres
import Testing

/// Direct edits of the database, as a superuser would make them, each caught by `log verify`
/// (with the digest published before the edit where only the digest can tell).
@Suite("Log verification: a record that proves itself")
struct LogVerificationTests {
  /// The scenario with a proceedings summary, a rescheduled workshop and a tagged contribution:
  /// every kind of event; returns the database and the digest published before any edit.
  static func recorded() throws -> (TestDatabase, RecordDigest) {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let at = Scenario.time("2015-09-17T16:00:00Z")
    try db.store.draftSummary(
      for: "cyber-security", in: Scenario.slug, title: "Summary", body: "Norms [#1].", actor: "editor", at: at)
    try db.store.editSummary(
      for: "cyber-security", in: Scenario.slug, title: nil, body: "Norms and capacity [#1, #3].", actor: "editor",
      at: at.addingTimeInterval(60))
    try db.store.editSummary(
      for: "cyber-security", in: Scenario.slug, title: nil, body: "Norms and capacity building [#1, #3].",
      actor: "editor", at: at.addingTimeInterval(120))
    try db.store.advanceSummary(
      for: "cyber-security", in: Scenario.slug, event: "submit-for-review", actor: "editor",
      at: at.addingTimeInterval(180))
    let digest = try db.store.recordDigest(of: Scenario.slug)
    let intact = try db.store.verifyLog(of: Scenario.slug, digest: digest)
    #expect(intact.isIntact, "\(intact.brokenLinks) \(intact.replay.discrepancies)")
    return (db, digest)
  }

  /// Runs `sql` as the superuser with every trigger off (`session_replication_role = replica`).
  static func tamper(_ db: TestDatabase, _ sql: String) throws {
    try db.store.connection.executeScript(
      "SET session_replication_role = replica;\n" + sql + ";\nSET session_replication_role = DEFAULT")
  }

  /// The id of the `n`th (from 0) event of the invitation of the scenario's first invitee.
  static let invitationEvent = """
    (SELECT e.id FROM events e JOIN invitations i ON e.entity_kind = 'invitation' AND e.entity_id = i.id
     JOIN stakeholders s ON s.id = i.stakeholder_id WHERE s.handle = 'ict4peace-president' ORDER BY e.id
     LIMIT 1 OFFSET %d)
    """

  static let edits: [(String, String)] = [
    (
      "rewriting an event's actor",
      "UPDATE events SET actor_id = (SELECT id FROM actors WHERE handle = 'x') WHERE id = \(String(format: invitationEvent, 1))"
    ),
    (
      "rewriting an event's reason",
      "UPDATE events SET reason = 'forged' WHERE id = \(String(format: invitationEvent, 1))"
    ),
    (
      "moving an event's time",
      "UPDATE events SET occurred_at = occurred_at - interval '1 day' WHERE id = \(String(format: invitationEvent, 1))"
    ),
    (
      "changing an event's to_state",
      "UPDATE events SET to_state = 'declined' WHERE id = \(String(format: invitationEvent, 2))"
    ),
    ("deleting a middle event", "DELETE FROM events WHERE id = \(String(format: invitationEvent, 1))"),
    (
      "deleting a consistent pair of record events in the middle of a chain",
      """
      DELETE FROM events WHERE entity_kind = 'proceedings-summary' AND event = 'revise-text';
      UPDATE proceedings_summaries SET body = 'Norms [#1].', revision = 1
      """
    ),
    (
      "editing a contribution's text",
      "UPDATE contributions SET text = 'Something else entirely.' WHERE id = (SELECT min(id) FROM contributions)"
    ),
    ("editing a summary's text", "UPDATE proceedings_summaries SET body = 'Rewritten.'"),
    ("deleting a contribution row", "DELETE FROM contributions WHERE id = (SELECT max(id) FROM contributions)"),
    (
      "reordering two events of an entity",
      """
      WITH a AS (SELECT * FROM events WHERE id = \(String(format: invitationEvent, 1))),
           b AS (SELECT * FROM events WHERE id = \(String(format: invitationEvent, 2)))
      UPDATE events e SET event = CASE WHEN e.id = a.id THEN b.event ELSE a.event END,
                          occurred_at = CASE WHEN e.id = a.id THEN b.occurred_at ELSE a.occurred_at END
      FROM a, b WHERE e.id IN (a.id, b.id)
      """
    ),
  ]

  @Test("each direct edit is reported, naming the entity and event", arguments: edits.indices)
  func directEdits(index: Int) throws {
    let (name, sql) = Self.edits[index]
    let (db, _) = try Self.recorded()
    try Self.tamper(db, sql)
    let result = try db.store.verifyLog(of: Scenario.slug)
    #expect(!result.isIntact, "\(name) went unnoticed")
    let first = result.brokenLinks.first?.description ?? result.replay.discrepancies.first?.description ?? ""
    #expect(!first.isEmpty, "\(name)")
  }

  @Test("deleting the latest events and rolling the state back: only the digest tells")
  func deletedTail() throws {
    let (db, digest) = try Self.recorded()
    try Self.tamper(
      db,
      """
      DELETE FROM events WHERE id = (SELECT max(id) FROM events WHERE entity_kind = 'proceedings-summary');
      UPDATE proceedings_summaries SET state = 'drafting'
      """)
    #expect(try db.store.verifyLog(of: Scenario.slug).isIntact)  // a consistent prefix
    let pinned = try db.store.verifyLog(of: Scenario.slug, digest: digest)
    #expect(pinned.digestMatches == false && !pinned.isIntact)
  }

  @Test("a forged event inserted through the chain with a matching state: only the digest tells")
  func forgedInsert() throws {
    let (db, digest) = try Self.recorded()
    try db.store.connection.executeScript(
      """
      INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id,
                          workflow_name, workflow_version)
      SELECT consultation_id, 'workshop', id, 'cancel', state, 'cancelled', (SELECT id FROM actors WHERE handle = 'x'),
             'white-paper', (SELECT workflow_version FROM consultations WHERE id = consultation_id)
      FROM workshops;
      UPDATE workshops SET state = 'cancelled'
      """)
    let pinned = try db.store.verifyLog(of: Scenario.slug, digest: digest)
    // The forged event extends the record, so the earlier digest still holds; a digest taken
    // after it does not match the record once the forgery is removed, and it cannot be slipped
    // in before the digest: its id is later than the cutoff.
    #expect(pinned.digestMatches == true)
    let afterwards = try db.store.recordDigest(of: Scenario.slug)
    #expect(afterwards.cutoff > digest.cutoff)
    try Self.tamper(db, "DELETE FROM events WHERE id = \(afterwards.cutoff); UPDATE workshops SET state = 'held'")
    #expect(try db.store.verifyLog(of: Scenario.slug, digest: afterwards).digestMatches == false)
  }

  @Test("a rewrite whose hashes were all recomputed passes the chain but not the digest")
  func recomputedRewrite() throws {
    let (db, digest) = try Self.recorded()
    let target = String(format: Self.invitationEvent, 1)
    try Self.tamper(
      db,
      """
      UPDATE events SET reason = 'rewritten' WHERE id = \(target);
      DO $$
      DECLARE r events; previous bytea; k text := ''; i bigint := 0;
      BEGIN
        FOR r IN SELECT * FROM events ORDER BY entity_kind, entity_id, id LOOP
          IF r.entity_kind <> k OR r.entity_id <> i THEN previous := NULL; k := r.entity_kind; i := r.entity_id; END IF;
          r.prev_hash := CASE WHEN r.from_state IS NULL THEN NULL ELSE previous END;
          r.hash := consult_event_hash(r);
          UPDATE events SET prev_hash = r.prev_hash, hash = r.hash WHERE id = r.id;
          previous := r.hash;
        END LOOP;
      END $$
      """)
    #expect(try db.store.verifyLog(of: Scenario.slug).isIntact)
    #expect(try db.store.verifyLog(of: Scenario.slug, digest: digest).digestMatches == false)
  }

  @Test("the digest round-trips as text and every export path can print it")
  func digestText() throws {
    let (db, digest) = try Self.recorded()
    #expect(RecordDigest(digest.description) == digest)
    #expect(RecordDigest("12:abc") == nil)
    // More events extend the record: the old digest still holds.
    try db.store.addTheme(Theme(key: "later", title: "Added later"), to: Scenario.slug, actor: "planner")
    #expect(try db.store.verifyLog(of: Scenario.slug, digest: digest).isIntact)
  }
}
