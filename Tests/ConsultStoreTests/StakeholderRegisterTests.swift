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
    #expect(history[1].actor == "alice")
    #expect(history[1].reason == "moved")

    let verification = try db.store.verifyLog()
    #expect(verification.isIntact, "\(verification.brokenLinks) \(verification.replay.discrepancies)")
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

  @Test("an edit that changes nothing, an unknown group, and an edit dated before the stakeholder's last event are refused, writing nothing")
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
