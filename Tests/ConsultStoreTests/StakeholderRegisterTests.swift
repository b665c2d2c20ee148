import ConsultCore
import ConsultStore
import Foundation
import Postgres
import Testing

/// Adding and editing a stakeholder are events of the stakeholder register (migration 0016):
/// chained and verified like every other event, and free of personal data.
@Suite("Stakeholder register: every stakeholder change an event")
struct StakeholderRegisterTests {
  /// Every event of one stakeholder, as stored: (event, from_state, data text, consultation id).
  static func events(_ db: TestDatabase, _ handle: String) throws -> [(String, String?, String, Int64?)] {
    try db.store.connection.query(
      """
      SELECT e.event, e.from_state, e.data::text AS data, e.consultation_id FROM events e
      JOIN stakeholders s ON e.entity_kind = 'stakeholder' AND e.entity_id = s.id
      WHERE s.handle = $1 ORDER BY e.id
      """, [handle]
    ).map {
      (
        try $0.decode("event"), try $0.decode("from_state", as: String?.self), try $0.decode("data"),
        try $0.decode("consultation_id", as: Int64?.self)
      )
    }
  }

  @Test("adding and editing append register events that hold no personal data, and the log verifies")
  func addAndEditAreEvents() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let secret = "dr.jane.roe@example.org"
    try db.store.addStakeholder(
      handle: "jroe", kind: .person, name: "Dr Jane Roe", group: "academia", organisation: "unibw",
      role: "Professor of Things", email: secret, actor: "clerk", at: Scenario.time("2015-03-01T09:00:00Z"))
    let edited = try db.store.editStakeholder(
      "jroe", changes: StakeholderChanges(name: "Prof. Jane Roe", email: "", group: "think-tanks"), actor: "alice",
      reason: "moved", at: Scenario.time("2015-04-01T09:00:00Z"))
    #expect(edited.name == "Prof. Jane Roe")
    #expect(edited.group == "think-tanks")
    let stored = try db.store.connection.query("SELECT email FROM stakeholders WHERE handle = 'jroe'").rows[0]
    #expect(try stored.decode("email", as: String?.self) == nil)

    let logged = try Self.events(db, "jroe")
    #expect(logged.map(\.0) == ["added", "edited"])
    #expect(logged[0].1 == nil && logged[1].1 == "registered")
    #expect(logged.allSatisfy { $0.3 == nil })
    #expect(logged[1].2.contains("\"changed\": \"email,group,name\""))
    #expect(logged[1].2.contains("think-tanks"))
    let everyEventText = try db.store.connection.query(
      "SELECT string_agg(coalesce(data::text, '') || coalesce(reason, ''), ' ') AS t FROM events"
    ).rows[0].decode("t", as: String.self)
    for personal in ["Jane", "Roe", "jroe", "Professor", secret] {
      #expect(!everyEventText.contains(personal), "the log holds '\(personal)'")
    }

    let history = try db.store.stakeholderHistory("jroe")
    #expect(history.map(\.event) == ["added", "edited"])
    #expect(history[1].changed == ["email", "group", "name"])
    #expect(history[1].values == ["group": "think-tanks"])
    #expect(history[1].actor == "alice")
    #expect(history[1].reason == "moved")

    let verification = try db.store.verifyLog()
    #expect(verification.isIntact, "\(verification.brokenLinks) \(verification.replay.discrepancies)")
  }

  @Test("forget: the erasure is the last event of the stakeholder's chain and pins the register events it rewrote")
  func forgetEndsTheChain() throws {
    let db = try TestDatabase()
    _ = try PrivacyTests.scenarioWithJane(db.store)
    try db.store.editStakeholder(
      "jane-doe", changes: StakeholderChanges(role: "Retired head teacher"), actor: "clerk",
      reason: "Jane Doe asked for her role to be corrected")
    let admin = try RoleTests.store(db, as: "consult_admin")
    _ = try admin.forgetStakeholder("jane-doe", reason: "erasure request", actor: "admin")
    let chain = try db.store.connection.query(
      """
      SELECT e.event, e.to_state, coalesce(e.reason, '') AS reason FROM events e
      JOIN stakeholders s ON e.entity_kind = 'stakeholder' AND e.entity_id = s.id
      WHERE s.pseudonym IS NOT NULL ORDER BY e.id
      """
    ).map {
      (
        try $0.decode("event", as: String.self), try $0.decode("to_state", as: String.self),
        try $0.decode("reason", as: String.self)
      )
    }
    #expect(chain.map(\.0) == ["added", "edited", "erase-personal-data"])
    #expect(chain.last?.1 == "erased")
    #expect(!chain.contains { $0.2.contains("Jane") })
    let verification = try db.store.verifyLog()
    #expect(verification.isIntact, "\(verification.brokenLinks)")
  }

  @Test("a rewritten register event, or one deleted from the middle of a stakeholder's chain, is reported")
  func tamperingIsCaught() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    for role in ["Fellow", "Senior fellow", "Director"] {
      try db.store.editStakeholder("researcher", changes: StakeholderChanges(role: role), actor: "clerk")
    }
    #expect(try db.store.verifyLog().isIntact)
    let middle = """
      (SELECT e.id FROM events e JOIN stakeholders s ON e.entity_kind = 'stakeholder' AND e.entity_id = s.id
       WHERE s.handle = 'researcher' ORDER BY e.id LIMIT 1 OFFSET 2)
      """
    try LogVerificationTests.tamper(
      db, "UPDATE events SET data = '{\"changed\": \"email\"}' WHERE id = \(middle)")
    let rewritten = try db.store.verifyLog()
    #expect(rewritten.brokenLinks.contains { $0.entityKind == "stakeholder" && $0.message.contains("does not match") })
    try LogVerificationTests.tamper(db, "DELETE FROM events WHERE id = \(middle)")
    let deleted = try db.store.verifyLog()
    #expect(deleted.brokenLinks.contains { $0.entityKind == "stakeholder" && $0.message.contains("not linked") })
  }

  @Test("the register's digest catches the deletion of a stakeholder's latest events and a re-hashed rewrite")
  func registerDigest() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    try db.store.editStakeholder("mdb", changes: StakeholderChanges(role: "Rapporteur"), actor: "clerk")
    let digest = try db.store.recordDigest(of: nil)
    #expect(try db.store.verifyLog(digest: digest).isIntact)
    try db.store.editStakeholder("aa", changes: StakeholderChanges(role: "Envoy"), actor: "clerk")
    #expect(try db.store.verifyLog(digest: digest).isIntact, "a later event extends the digest")
    let latest = """
      (SELECT e.id FROM events e JOIN stakeholders s ON e.entity_kind = 'stakeholder' AND e.entity_id = s.id
       WHERE s.handle = 'mdb' ORDER BY e.id DESC LIMIT 1)
      """
    try LogVerificationTests.tamper(
      db, "DELETE FROM events WHERE id = \(latest); UPDATE stakeholders SET role = NULL WHERE handle = 'mdb'")
    let deleted = try db.store.verifyLog(digest: digest)
    #expect(deleted.digestMatches == false)
    #expect(!deleted.isIntact)
  }

  @Test(
    "an edit that changes nothing, an unknown group, and an edit dated before the stakeholder's last event are refused, writing nothing"
  )
  func refusals() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let before = try db.count("events")
    let same = try db.store.stakeholder("mdb")
    #expect(throws: StoreError.self) {
      try db.store.editStakeholder("mdb", changes: StakeholderChanges(name: same.name), actor: "clerk")
    }
    do {
      try db.store.editStakeholder("mdb", changes: StakeholderChanges(group: "parliment"), actor: "clerk")
      Issue.record("an unknown group was accepted")
    } catch let error as StoreError {
      #expect(error.message.contains("did you mean 'parliament'"))
    }
    try db.store.editStakeholder("mdb", changes: StakeholderChanges(role: "Rapporteur"), actor: "clerk")
    #expect(throws: StoreError.self) {
      try db.store.editStakeholder(
        "mdb", changes: StakeholderChanges(role: "Chair"), actor: "clerk", at: Date().addingTimeInterval(-3600))
    }
    #expect(try db.count("events") == before + 1)
    #expect(try db.store.stakeholder("mdb").role == "Rapporteur")
  }

  @Test("a stakeholder's and an actor's name share one length limit, and a blank one is refused")
  func nameLimits() throws {
    let db = try TestDatabase()
    let long = String(repeating: "n", count: NameRule.maxNameLength + 1)
    #expect(throws: StoreError.self) { try db.store.registerActor("long-name", name: long) }
    #expect(throws: StoreError.self) { try db.store.registerActor("blank-name", name: "  ") }
    #expect(throws: StoreError.self) {
      try db.store.addStakeholder(handle: "long", kind: .person, name: long, group: nil, actor: "clerk")
    }
    #expect(try db.store.actor("long-name") == nil)
    try db.store.registerActor("fine", name: String(repeating: "n", count: NameRule.maxNameLength))
  }

  @Test("concurrent edits of one stakeholder both land, one after the other, in one unbroken chain")
  func concurrentEdits() async throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let name = db.name
    try await withThrowingTaskGroup(of: Void.self) { group in
      for worker in 0..<4 {
        group.addTask {
          let store = ConsultStore(connection: try TestDatabase.connect(name))
          for round in 0..<5 {
            try store.editStakeholder(
              "citizen", changes: StakeholderChanges(role: "role \(worker)-\(round)"), actor: "clerk")
          }
        }
      }
      try await group.waitForAll()
    }
    #expect(try Self.events(db, "citizen").count == 21)
    #expect(try db.store.verifyLog().isIntact)
  }
}

/// Migration 0017 computes the same canonical form more cheaply, and moves two rules from CHECK
/// constraints into the chain trigger.
@Suite("Cheaper event appends (migration 0017)")
struct CheaperEventAppendTests {
  @Test(
    "0017's canonical form gives, for every kind of event, the bytes of 0015's, so every stored hash still verifies")
  func sameCanonicalForm() throws {
    let (db, _) = try LogVerificationTests.recorded()
    try db.store.editStakeholder(
      "citizen", changes: StakeholderChanges(role: "Bürgerin — «citoyenne» 🗳"), actor: "clerk", reason: "ünïcødé")
    let old = try #require(try Migrator().migrations.first { $0.number == 15 }).sql
    let start = try #require(old.range(of: "CREATE OR REPLACE FUNCTION consult_event_canonical("))
    let end = try #require(old.range(of: "$$;", range: start.upperBound..<old.endIndex))
    let function = String(old[start.lowerBound..<end.upperBound])
      .replacingOccurrences(of: "FUNCTION consult_event_canonical(", with: "FUNCTION pg_temp.canonical_0015(")
    try db.store.connection.execute(function)
    let rows = try db.store.connection.query(
      """
      SELECT count(*) AS n,
             count(*) FILTER (WHERE data IS NOT NULL) AS with_data,
             count(*) FILTER (WHERE content_hash IS NOT NULL) AS with_content,
             count(*) FILTER (WHERE consultation_id IS NULL) AS register,
             count(*) FILTER (WHERE consult_event_canonical(
               id, consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id, reason, occurred_at,
               workflow_name, workflow_version, data, content_hash, prev_hash)
               IS DISTINCT FROM pg_temp.canonical_0015(
               id, consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id, reason, occurred_at,
               workflow_name, workflow_version, data, content_hash, prev_hash)) AS differ
      FROM events
      """
    ).rows[0]
    #expect(try rows.decode("n", as: Int.self) > 20)
    #expect(try rows.decode("with_data", as: Int.self) > 0)
    #expect(try rows.decode("with_content", as: Int.self) > 0)
    #expect(try rows.decode("register", as: Int.self) > 0)
    #expect(try rows.decode("differ", as: Int.self) == 0)
    #expect(try db.store.verifyLog().isIntact)
  }

  @Test(
    "data that is not a JSON object, a consultation event without a workflow and a stakeholder event with one are refused"
  )
  func rulesOfTheTrigger() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let before = try db.count("events")
    for (sql, sqlState) in [
      (
        """
        INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id,
                            workflow_name, workflow_version, data)
        SELECT id, 'consultation', id, 'x', state, state, 1, workflow_name, workflow_version, '[1]' FROM consultations
        """, "23514"
      ),
      (
        """
        INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id)
        SELECT id, 'consultation', id, 'x', state, state, 1 FROM consultations
        """, "23514"
      ),
      (
        """
        INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id,
                            workflow_name, workflow_version)
        SELECT c.id, 'stakeholder', s.id, 'x', 'registered', 'registered', 1, c.workflow_name, c.workflow_version
        FROM consultations c, stakeholders s LIMIT 1
        """, "23514"
      ),
    ] {
      do {
        try db.store.connection.execute(sql)
        Issue.record("accepted: \(sql)")
      } catch {
        #expect(error.sqlState == sqlState, "\(error)")
      }
    }
    #expect(try db.count("events") == before)
  }
}

/// An erasure may rewrite earlier events (migration 0020); a superuser forging one must not get a
/// rewrite past `log verify`, and a sanctioned one is always listed.
@Suite("Forged erasures")
struct ForgedErasureTests {
  /// Rewrites the reason of the scenario's first invitation event and pins the rewrite with a
  /// forged erasure event on `entity` (SQL giving kind, id and consultation id).
  static func forge(_ db: TestDatabase, erasureOn entity: String) throws {
    let target = String(format: LogVerificationTests.invitationEvent, 1)
    try LogVerificationTests.tamper(
      db,
      """
      CREATE TEMPORARY TABLE forged AS SELECT id, hash FROM events WHERE id = \(target);
      UPDATE events SET reason = 'forged' WHERE id = (SELECT id FROM forged);
      INSERT INTO event_redactions (event_id, erasure_event_id, hash_before, hash_after)
      SELECT f.id, nextval(pg_get_serial_sequence('events', 'id')), f.hash, consult_event_hash(e)
      FROM forged f JOIN events e ON e.id = f.id
      """)
    try db.store.connection.execute(
      """
      INSERT INTO events (id, consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id,
                          workflow_name, workflow_version, content_hash)
      OVERRIDING SYSTEM VALUE
      SELECT r.erasure_event_id, t.consultation_id, t.kind, t.entity_id, 'erase-personal-data', t.from_state,
             t.to_state, 1, t.workflow_name, t.workflow_version, consult_event_redactions_content(r.erasure_event_id)
      FROM event_redactions r, (\(entity)) t
      WHERE r.event_id = (SELECT id FROM forged)
      """)
  }

  @Test("an erasure event forged on a stakeholder that was never forgotten pins nothing: the rewrite is reported")
  func forgedOnTheRegister() throws {
    let (db, digest) = try LogVerificationTests.recorded()
    try Self.forge(
      db,
      erasureOn: """
        SELECT NULL::bigint AS consultation_id, 'stakeholder' AS kind, 999999::bigint AS entity_id,
               'registered' AS from_state, 'erased' AS to_state, NULL AS workflow_name, NULL AS workflow_version
        """)
    let scoped = try db.store.verifyLog(of: Scenario.slug, digest: digest)
    #expect(!scoped.isIntact)
    #expect(scoped.brokenLinks.contains { $0.message.contains("does not match its hash") })
    #expect(!(try db.store.verifyLog().isIntact))
  }

  @Test(
    "an erasure event on the consultation's own chain is a sanctioned rewrite, and verify lists it with what the digest had pinned"
  )
  func sanctionedRewritesAreListed() throws {
    let (db, digest) = try LogVerificationTests.recorded()
    try Self.forge(
      db,
      erasureOn: """
        SELECT id AS consultation_id, 'consultation' AS kind, id AS entity_id, state AS from_state,
               state AS to_state, workflow_name, workflow_version
        FROM consultations WHERE slug = '\(Scenario.slug)'
        """)
    let result = try db.store.verifyLog(of: Scenario.slug, digest: digest)
    #expect(result.erasures.count == 1)
    #expect(result.erasures.first?.eventsRewritten == 1)
    #expect(result.erasures.first?.pinnedByDigest == 1)
  }
}
