import ConsultCore
import ConsultImport
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

  /// `recorded()` plus a contribution whose earlier text was kept by a re-import and redacted,
  /// and a draft with two revisions, a comment and an approval: every kind of stored revision and
  /// redaction row. Returns the database and the contribution's id.
  static func withRevisions() throws -> (TestDatabase, Int64) {
    let (db, _) = try recorded()
    let scratch = try ScratchDirectory()
    let mapping = try CSVMapping.parse("id: Ref\ntext: Comment\nauthor: Name\n", file: "mapping.yaml")
    let file = try scratch.write("r.csv", "Ref,Comment,Name\n1,Call me on 0301234567 please.,Alice\n")
    _ = try db.store.importSubmissions(MappedCSVSource(file, mapping: mapping), into: Scenario.slug, actor: "editor")
    _ = try scratch.write("r.csv", "Ref,Comment,Name\n1,Call me on 0301234567 today.,Alice\n")
    _ = try db.store.importSubmissions(
      MappedCSVSource(file, mapping: mapping), into: Scenario.slug, actor: "editor", updateChanged: true)
    let id: Int64 = try db.store.connection.query(
      "SELECT contribution_id AS id FROM contribution_revisions"
    ).rows[0].decode("id")
    let redacted = try db.store.redactContribution(
      id, in: Scenario.slug, span: .text("0301234567", every: false), reason: .personalData, note: "a number",
      actor: "editor")
    #expect(redacted.revisions == 1)
    try db.store.createDraft(in: Scenario.slug, title: "White Paper", body: DraftText.revision1, actor: "editor")
    try db.store.addComment(
      in: Scenario.slug, revision: 1, section: "intro", quote: nil, stakeholder: "aa", consent: .named,
      type: .general, text: "Shorter.", proposedChange: nil, actor: "editor")
    try db.store.approveDraft(in: Scenario.slug, revision: 1, stakeholder: "bmvg", actor: "editor")
    try db.store.reviseDraft(in: Scenario.slug, title: nil, body: DraftText.revision1 + "\n\nMore.", actor: "editor")
    let intact = try db.store.verifyLog(of: Scenario.slug)
    #expect(intact.isIntact, "\(intact.brokenLinks) \(intact.replay.discrepancies)")
    #expect(try db.store.verifyLog().isIntact)
    return (db, id)
  }

  static let storedRowEdits: [(String, String, String)] = [
    (
      "editing a contribution's earlier text", "UPDATE contribution_revisions SET text = text || ' Forged.'",
      "contribution"
    ),
    ("deleting a contribution's earlier text", "DELETE FROM contribution_revisions", "contribution"),
    (
      "editing a summary's earlier revision",
      "UPDATE proceedings_summary_revisions SET body = 'Forged.' WHERE revision = 1", "proceedings-summary"
    ),
    (
      "deleting a summary's earlier revision", "DELETE FROM proceedings_summary_revisions WHERE revision = 1",
      "proceedings-summary"
    ),
    (
      "editing a draft's earlier revision", "UPDATE draft_revisions SET body = body || ' x' WHERE revision = 1", "draft"
    ),
    ("deleting a draft revision", "DELETE FROM draft_revisions WHERE revision = 2", "draft"),
    ("deleting an approval", "DELETE FROM draft_approvals", "draft"),
    ("renaming the draft", "UPDATE drafts SET title = 'Forged title'", "draft"),
    ("deleting a comment", "DELETE FROM draft_comments", "comment"),
    (
      "moving a redaction's span",
      "UPDATE contribution_redactions SET start_offset = start_offset + 1, end_offset = end_offset + 1", "contribution"
    ),
    ("rewriting a redacted span", "UPDATE contribution_redactions SET original = 'someone else'", "contribution"),
    ("changing a redaction's reason", "UPDATE contribution_redactions SET reason = 'other'", "contribution"),
    ("deleting a redaction row", "DELETE FROM contribution_redactions", "contribution"),
    (
      "forging a second row for a logged redaction",
      """
      INSERT INTO contribution_redactions (contribution_id, event_id, reason, start_offset, end_offset, original,
                                           salt, actor_id)
      SELECT contribution_id, event_id, reason, 0, 4, 'Call', salt, actor_id FROM contribution_redactions
      """, "contribution"
    ),
    (
      "forging a redaction row no redact event logged",
      """
      INSERT INTO contribution_redactions (contribution_id, event_id, reason, start_offset, end_offset, original,
                                           salt, actor_id)
      SELECT contribution_id, (SELECT min(id) FROM events), reason, 0, 4, 'Call', salt, actor_id
      FROM contribution_redactions
      """, "contribution"
    ),
  ]

  @Test(
    "each direct edit of a stored revision, approval, comment or redaction row is reported",
    arguments: storedRowEdits.indices)
  func storedRowEdited(index: Int) throws {
    let (name, sql, kind) = Self.storedRowEdits[index]
    let (db, _) = try Self.withRevisions()
    try Self.tamper(db, sql)
    let result = try db.store.verifyLog(of: Scenario.slug)
    #expect(!result.isIntact, "\(name) went unnoticed")
    #expect(result.brokenLinks.map(\.entityKind).contains(kind), "\(name): \(result.brokenLinks)")
    #expect(!(try db.store.verifyLog().isIntact), "\(name) went unnoticed in the whole database")
  }

  @Test("consult_editor redacts earlier texts only by the span its logged redaction took from the text")
  func redactRevisionsNeedsTheLoggedSpan() throws {
    let (db, id) = try Self.withRevisions()
    let editor = try RoleTests.store(db, as: "consult_editor")
    let before: String = try db.store.connection.query(
      "SELECT text FROM contribution_revisions WHERE contribution_id = $1", [id]
    ).rows[0].decode("text")
    // A 'redact' event and a row of its own for a span ("Call") the text did not hold there: with
    // no marker at its offsets, or with the real marker whose span was another text. Refused,
    // nothing rewritten.
    func forged(_ reason: String, _ from: Int, _ to: Int, _ marker: String) -> String {
      """
      INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id,
                          workflow_name, workflow_version, data, content_hash)
      SELECT k.consultation_id, 'contribution', k.id, 'redact', k.state, k.state, consult_actor('editor'),
             c.workflow_name, c.workflow_version, jsonb_build_object('reason', '\(reason)', 'spans', '1'),
             consult_contribution_content(k.text, k.attribution, k.stakeholder_id)
      FROM contributions k JOIN consultations c ON c.id = k.consultation_id WHERE k.id = \(id);
      INSERT INTO contribution_redactions (contribution_id, event_id, reason, start_offset, end_offset, original,
                                           salt, actor_id)
      SELECT \(id), max(id), '\(reason)', \(from), \(to), 'Call', '\\x00112233445566778899aabbccddeeff', consult_actor('editor')
      FROM events;
      SELECT consult_redact_revisions(\(id), 'Call', '\(marker)');
      """
    }
    for (reason, from, to) in [("other", 0, 4), ("personal-data", 11, 15)] {
      let marker = "[redacted: \(reason.replacingOccurrences(of: "-", with: " "))]"
      #expect(
        RoleTests.refusal(editor, forged(reason, from, to, marker))
          == SQLState.insufficientPrivilege,
        "\(reason) at \(from)..<\(to)")
    }
    // The right span with another reason's marker is refused as well.
    #expect(
      RoleTests.refusal(editor, "SELECT consult_redact_revisions(\(id), 'Call', '[redacted: personal data]')")
        == SQLState.insufficientPrivilege)
    let after: String = try db.store.connection.query(
      "SELECT text FROM contribution_revisions WHERE contribution_id = $1", [id]
    ).rows[0].decode("text")
    #expect(after == before)
    #expect(before == "Call me on [redacted: personal data] please.")
    #expect(try db.store.verifyLog(of: Scenario.slug).isIntact)
  }
}
