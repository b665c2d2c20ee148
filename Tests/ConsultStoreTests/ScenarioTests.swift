import ConsultCore
import ConsultExport
import ConsultStore
import Foundation
import Postgres
import Testing

@Suite("The White Paper 2016 scenario against PostgreSQL")
struct ScenarioTests {
  @Test("the whole scenario runs and the proceedings summary shows what a reader needs")
  func wholeScenario() throws {
    let db = try TestDatabase()
    let store = db.store
    try Scenario.build(store)
    try store.draftSummary(
      for: "cyber-security", in: Scenario.slug, title: "Summary of the proceedings", body: "first draft",
      actor: "editor")
    try store.editSummary(
      for: "cyber-security", in: Scenario.slug, title: nil, body: "Participants discussed norms and capacity building.",
      actor: "editor")
    for (event, actor) in [("submit-for-review", "editor"), ("approve", "head"), ("publish", "press")] {
      try store.advanceSummary(for: "cyber-security", in: Scenario.slug, event: event, actor: actor)
    }
    try store.advanceWorkshop("cyber-security", in: Scenario.slug, event: "summarise", actor: "editor")
    for event in [
      "close-participation", "begin-drafting", "begin-coordination", "submit-for-adoption", "adopt", "publish",
    ] {
      try store.advanceConsultation(Scenario.slug, event: event, actor: "planner")
    }
    #expect(try store.consultation(Scenario.slug).state == "closed")
    #expect(try store.workshop("cyber-security", in: Scenario.slug).state == "summarised")
    let invitations = Dictionary(
      uniqueKeysWithValues: try store.invitations(to: "cyber-security", in: Scenario.slug).map {
        ($0.stakeholder, $0.state)
      })
    #expect(
      invitations == [
        "ict4peace-president": "attended", "mdb": "attended", "aa": "attended",
        "researcher": "no-show", "citizen": "declined",
      ])

    // Every state in the tables is the last to_state of its entity in the event log.
    let mismatches = try db.store.connection.query(
      """
      WITH last AS (
        SELECT DISTINCT ON (entity_kind, entity_id) entity_kind, entity_id, to_state FROM events
        WHERE entity_kind <> 'stakeholder' ORDER BY entity_kind, entity_id, id DESC)
      SELECT count(*) AS n FROM last l LEFT JOIN (
        SELECT 'consultation' AS k, id, state FROM consultations UNION ALL
        SELECT 'workshop', id, state FROM workshops UNION ALL
        SELECT 'invitation', id, state FROM invitations UNION ALL
        SELECT 'contribution', id, state FROM contributions UNION ALL
        SELECT 'proceedings-summary', id, state FROM proceedings_summaries) t
        ON t.k = l.entity_kind AND t.id = l.entity_id
      WHERE t.state IS DISTINCT FROM l.to_state
      """)
    #expect(try mismatches.rows[0].decode("n", as: Int.self) == 0)

    let markdown = try MarkdownExporter().render(try store.proceedings(of: Scenario.slug))
    #expect(markdown.contains("## Workshop: Expert workshop \"White Paper 2016 on Cyber Security\""))
    #expect(markdown.contains("Thursday 17 September 2015, 09:30–17:00 Europe/Berlin (UTC+02:00)"))
    #expect(markdown.contains("Federal Ministry of Defence; University of the Federal Armed Forces Munich; BITKOM"))
    // Participation by stakeholder group: invited / accepted / attended.
    #expect(markdown.contains("| Parliament | 1 | 1 | 1 |"))
    #expect(markdown.contains("| Ministries and government agencies | 1 | 1 | 1 |"))
    #expect(markdown.contains("| Academia | 1 | 1 | 0 |"))
    #expect(markdown.contains("| Members of the public | 1 | 0 | 0 |"))
    #expect(markdown.contains("| **Total** | 5 | 4 | 3 |"))
    // Statements grouped by theme, in theme order, with counts.
    let instruments = try #require(
      markdown.range(of: "#### 2. Instruments, and how they are embedded in alliances and partnerships (2)"))
    let framework = try #require(markdown.range(of: "#### 3. The national framework for action (1)"))
    #expect(instruments.lowerBound < framework.lowerBound)
    #expect(markdown.contains("Participants discussed norms and capacity building."))
    #expect(markdown.contains("approve by head"))
    // Chatham House Rule: no participant's or contributing organisation's name anywhere.
    for name in Scenario.personNames + ["ICT4Peace"] {
      #expect(!markdown.contains(name), "\(name) must not appear under the Chatham House Rule")
    }
    #expect(markdown.contains("> — a participant\n"))
    #expect(!markdown.contains("a participant from"))
    // Deterministic: the same database gives the same bytes.
    #expect(markdown == (try MarkdownExporter().render(try store.proceedings(of: Scenario.slug))))
  }

  @Test("without the Chatham House Rule, statements are attributed as consented")
  func attributedWhenOpen() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store, chathamHouse: false)
    let markdown = try MarkdownExporter().render(try db.store.proceedings(of: Scenario.slug))
    #expect(markdown.contains("— President of the ICT4Peace Foundation (ICT4Peace Foundation)"))
    try db.store.recordContribution(
      NewContribution(
        text: "Off the record.", stakeholder: "mdb", workshop: "cyber-security", attribution: .notForPublication),
      in: Scenario.slug, actor: "rapporteur")
    let after = try MarkdownExporter().render(try db.store.proceedings(of: Scenario.slug))
    #expect(!after.contains("Off the record."))
    #expect(after.contains("*1 statement not for publication is counted but not shown.*"))
  }

  @Test("a transition the workflow does not allow is refused, names the allowed events, and writes nothing")
  func refusal() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let eventsBefore = try db.count("events")
    let error = try #require(throws: StoreError.self) {
      try db.store.advanceConsultation(Scenario.slug, event: "adopt", actor: "planner")
    }
    #expect(error.kind == .refused)
    let refusal = try #require(error.refusal)
    #expect(refusal.state == "participatory-phase")
    #expect(refusal.allowedEvents == ["cancel"])
    #expect(error.description.contains("adopt"))
    // A guard: the participatory phase cannot close while the workshop is not summarised.
    let guarded = try #require(throws: StoreError.self) {
      try db.store.advanceConsultation(Scenario.slug, event: "close-participation", actor: "planner")
    }
    #expect(guarded.description.contains("workshops.held == 0"))
    #expect(try db.count("events") == eventsBefore)
    #expect(try db.store.consultation(Scenario.slug).state == "participatory-phase")
    // An unknown event is refused as such.
    let unknown = try #require(throws: StoreError.self) {
      try db.store.advanceWorkshop("cyber-security", in: Scenario.slug, event: "celebrate", actor: "x")
    }
    #expect(unknown.kind == .refused)
  }

  @Test("a summary cites contributions; exports list them as sources within the attribution rules")
  func citations() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store, chathamHouse: false)
    let withheld = try db.store.recordContribution(
      NewContribution(
        text: "Off the record.", stakeholder: "mdb", workshop: "cyber-security", attribution: .notForPublication),
      in: Scenario.slug, actor: "rapporteur")
    let refused = try #require(throws: StoreError.self) {
      try db.store.draftSummary(
        for: "cyber-security", in: Scenario.slug, title: "S", body: "Cites a stranger [#999].", actor: "editor")
    }
    #expect(refused.description.contains("#999"))
    try db.store.draftSummary(
      for: "cyber-security", in: Scenario.slug, title: "S",
      body: "Norms matter [#3, #1].\n\nSome spoke off the record [#\(withheld.id)]; see also [#1].", actor: "editor")
    let markdown = try MarkdownExporter().render(try db.store.proceedings(of: Scenario.slug))
    #expect(markdown.contains("Norms matter [1, 2]."))
    #expect(markdown.contains("Some spoke off the record [3]; see also [2]."))
    let president = "President of the ICT4Peace Foundation (ICT4Peace Foundation)"
    #expect(markdown.contains("1. Statement at workshop cyber-security (#3) — \(president)"))
    #expect(markdown.contains("3. Statement at workshop cyber-security (#\(withheld.id)) — not for publication"))
    #expect(!markdown.contains("Off the record."))
    #expect(!markdown.contains("Member of the Bundestag"))
  }

  @Test("an oral statement needs its speaker recorded as attending the workshop")
  func statementNeedsAttendance() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let before = try db.count("contributions")
    // The researcher accepted but did not come; the citizen declined.
    for handle in ["researcher", "citizen"] {
      let error = try #require(throws: StoreError.self) {
        try db.store.recordContribution(
          NewContribution(text: "I was not there.", stakeholder: handle, workshop: "cyber-security"),
          in: Scenario.slug, actor: "rapporteur")
      }
      #expect(error.description.contains("not recorded as attending workshop 'cyber-security'"))
    }
    // A workshop that has not taken place has no attendance at all.
    let start = Date(timeIntervalSince1970: 1_450_000_000)
    try db.store.addWorkshop(
      key: "later", to: Scenario.slug, title: "Later", venue: nil, startsAt: start, endsAt: start,
      timeZone: "UTC", chathamHouse: false, hosts: [], actor: "planner")
    #expect(throws: StoreError.self) {
      try db.store.recordContribution(
        NewContribution(text: "Too early.", stakeholder: nil, workshop: "later"), in: Scenario.slug, actor: "x")
    }
    #expect(try db.count("contributions") == before)
  }

  @Test("show lists every event with what blocks it")
  func overview() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let overview = try db.store.overview(of: Scenario.slug)
    let consultation = try #require(overview.entities.first)
    #expect(consultation.state == "participatory-phase")
    let close = try #require(consultation.events.first { $0.event == "close-participation" })
    #expect(!close.possible)
    #expect(close.blockedBy == ["needs workshops.held == 0; has 1"])
    let workshop = try #require(overview.entities.first { $0.label == "cyber-security" })
    #expect(workshop.events.first { $0.event == "summarise" }?.blockedBy == ["needs summaries.published >= 1; has 0"])
    #expect(overview.counts["contributions"] == ["received": 3])
    // Open invitations are listed one by one (attended, no-show and declined ones are final or listed).
    let invitations = overview.entities.filter { $0.kind == "invitation" }
    #expect(invitations.map(\.label) == ["of citizen to cyber-security"])
    #expect(invitations.first?.events.first { $0.event == "accept" }?.possible == true)
    // Contributions are grouped by state and workshop.
    let statements = try #require(overview.entities.first { $0.kind == "contribution" })
    #expect(statements.label == "3 statements at cyber-security")
    #expect(statements.events.filter(\.possible).map(\.event) == ["accept", "reject"])
  }

  @Test("the event log refuses UPDATE and DELETE")
  func appendOnly() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    #expect(throws: PostgresError.self) { try db.store.connection.execute("UPDATE events SET actor = 'someone else'") }
    #expect(throws: PostgresError.self) { try db.store.connection.execute("DELETE FROM events") }
  }
}
