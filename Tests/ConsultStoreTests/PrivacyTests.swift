import ConsultCore
import ConsultImport
import ConsultStore
import Foundation
import Postgres
import Testing

@testable import ConsultExport

/// Every export format of the scenario, rendered from the store as the CLI does (PDF is rendered
/// from the HTML export, so the HTML stands for it).
func privacyExports(_ store: ConsultStore, slug: String = Scenario.slug) throws -> [String: String] {
  let data = try store.proceedings(of: slug)
  var result: [String: String] = [
    "summary.md": try MarkdownExporter().render(data),
    "summary.html": try HTMLExporter().render(data),
    "summary.json": try SummaryJSONExporter().render(data),
  ]
  for format in TabularFormat.allCases {
    var bytes = Data()
    let exporter = ContributionsExporter(format: format, consultation: slug) { bytes.append($0) }
    try exporter.begin()
    try store.forEachContributionBatch(of: slug, batchSize: 100) { try exporter.write($0) }
    try exporter.finish()
    result["contributions.\(format.rawValue)"] = String(decoding: bytes, as: UTF8.self)
    result["attendance.\(format.rawValue)"] = String(
      decoding: try AttendanceExporter().render(
        try store.attendanceRecords(of: slug), consultation: slug, format: format),
      as: UTF8.self)
  }
  result["calendar.ics"] = CalendarExporter().render(
    try store.calendarWorkshops(of: slug), consultation: slug, title: try store.consultation(slug).title
  ).replacingOccurrences(of: "\r\n ", with: "")
  return result
}

/// The `pg_dump` of a test database as text, found as scripts/with-postgres finds `initdb`.
func pgDump(_ database: String) throws -> String {
  let env = ProcessInfo.processInfo.environment
  var candidates: [String] = []
  if let bindir = env["CONSULT_PG_BINDIR"], !bindir.isEmpty { candidates.append(bindir + "/pg_dump") }
  let versions =
    (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?
    .compactMap(Int.init).sorted(by: >) ?? []
  candidates += versions.map { "/usr/lib/postgresql/\($0)/bin/pg_dump" }
  candidates += ["/usr/bin/pg_dump"]
  let binary = try #require(
    candidates.first { FileManager.default.isExecutableFile(atPath: $0) }, "pg_dump not found")
  let process = Process()
  process.executableURL = URL(fileURLWithPath: binary)
  process.arguments = ["--no-owner", "--dbname", database]
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let data = out.fileHandleForReading.readDataToEndOfFile()
  let errors = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  try #require(
    process.terminationStatus == 0, "pg_dump failed: \(String(decoding: errors, as: UTF8.self))")
  return String(decoding: data, as: UTF8.self)
}

@Suite("Privacy: erasure, redaction, disclosure control")
struct PrivacyTests {
  /// The scenario plus a person, Jane Doe, who acts, contributes and is named across the record.
  static func scenarioWithJane(_ store: ConsultStore) throws -> (written: Int64, naming: Int64) {
    try Scenario.build(store)
    try store.addStakeholder(
      handle: "jane-doe", kind: .person, name: "Jane Doe", group: "public", role: "Retired teacher",
      email: "jane.doe@example.org", actor: "clerk")
    try store.registerActor("jane-doe", name: "Jane Doe")
    try store.registerActor("jdoe-office", name: "Office of J. Doe")
    let written = try store.recordContribution(
      NewContribution(
        text: "I am Jane Doe (jane.doe@example.org) and I ask for more capacity building.", stakeholder: "jane-doe",
        theme: "instruments", attribution: .named, receivedAt: Scenario.time("2015-10-01T08:00:00Z")),
      in: Scenario.slug, actor: "jane-doe")
    let naming = try store.recordContribution(
      NewContribution(
        text: "I agree with JANE DOE on capacity building.", stakeholder: "citizen", theme: "instruments",
        attribution: .named, receivedAt: Scenario.time("2015-10-02T08:00:00Z")),
      in: Scenario.slug, actor: "clerk")
    try store.advanceContributions(
      "accept", in: Scenario.slug, ids: [written.id], actor: "jdoe-office",
      reason: "accepted after a call with Jane Doe", at: Scenario.time("2015-10-03T08:00:00Z"))
    try store.draftSummary(
      for: "cyber-security", in: Scenario.slug, title: "Summary", body: "Jane Doe wrote in [#\(written.id)].",
      actor: "editor", at: Scenario.time("2015-10-04T08:00:00Z"))
    try store.editSummary(
      for: "cyber-security", in: Scenario.slug, title: nil, body: "Participants discussed norms [#1].",
      actor: "editor", at: Scenario.time("2015-10-05T08:00:00Z"))
    try store.redactContribution(
      naming.id, in: Scenario.slug, span: .text("JANE DOE", every: false), reason: .personalData,
      note: "names Jane Doe", actor: "editor")
    return (written.id, naming.id)
  }

  @Test("forget: a pg_dump holds none of the person's strings, log verify passes, every export works")
  func forgetErasesEverywhere() throws {
    let db = try TestDatabase()
    let (written, naming) = try Self.scenarioWithJane(db.store)
    // The paper's draft: a title and two revisions naming her, her comment (its quote, proposed
    // change and the team's response naming her too), an approval; titles and a venue naming her.
    let store = db.store
    let named = DraftText.revision1 + "\n\nJane Doe asked for a chapter on schools.\n"
    try store.createDraft(in: Scenario.slug, title: "White Paper, with Jane Doe", body: named, actor: "editor")
    let comment = try store.addComment(
      in: Scenario.slug, revision: 1, section: "capacity-building", quote: "Jane Doe asked", stakeholder: "jane-doe",
      consent: .named, type: .general, text: "As Jane Doe, a teacher, I ask for schools.",
      proposedChange: "Name Jane Doe's school programme", actor: "editor")
    try store.reviseDraft(
      in: Scenario.slug, title: nil, body: named + "\nSchools, as Jane Doe proposed.\n", actor: "editor")
    try store.decideComment(
      comment.id, in: Scenario.slug, event: "accept", response: "Added, thanks to Jane Doe.", resolvedIn: 2,
      actor: "editor")
    try store.approveDraft(in: Scenario.slug, revision: 2, stakeholder: "bmvg", actor: "editor")
    try store.connection.executeScript(
      """
      UPDATE consultations SET owner = 'Jane Doe (on loan)';
      UPDATE themes SET title = 'Instruments (Jane Doe)' WHERE key = 'instruments';
      UPDATE workshops SET venue = 'Home of Jane Doe, Berlin';
      """)
    #expect(try store.verifyLog(of: Scenario.slug).isIntact)
    let strings = ["Jane Doe", "jane.doe@example.org", "jane-doe", "jane.doe", "Retired teacher", "Office of J. Doe"]
    let before = try pgDump(db.name).lowercased()
    for string in strings { #expect(before.contains(string.lowercased()), "\(string) should be in the dump before") }

    // Editors may not erase; the administrator does.
    let editor = try RoleTests.store(db, as: "consult_editor")
    #expect(throws: StoreError.self) {
      try editor.forgetStakeholder("jane-doe", reason: "x", actor: "admin")
    }
    #expect(
      RoleTests.refusal(editor, "SELECT consult_forget_stakeholder(1, 'x', 'admin', '{}', '{}')")
        == SQLState.insufficientPrivilege)
    let admin = try RoleTests.store(db, as: "consult_admin")
    let report = try admin.forgetStakeholder(
      "jane-doe", reason: "erasure request by Jane Doe", actor: "admin", alsoIdentifying: ["Office of J. Doe"],
      actorHandles: ["jdoe-office"])
    #expect(report.pseudonym.hasPrefix("Participant "))
    #expect(report.contributions == 2)
    #expect(report.summaries == 1)
    #expect(report.draftRevisions == 2)
    #expect(report.comments == 1)
    #expect(report.events >= 1)
    #expect(report.actors == 2)
    #expect(try db.store.vacuumAfterErasure())

    let verification = try db.store.verifyLog(of: Scenario.slug)
    #expect(verification.isIntact, "\(verification.brokenLinks) \(verification.replay.discrepancies)")
    #expect(try db.store.verifyLog().isIntact)

    let after = try pgDump(db.name).lowercased()
    for string in strings { #expect(!after.contains(string.lowercased()), "\(string) is still in the pg_dump") }
    #expect(after.contains(report.pseudonym.lowercased()))

    // Contributions kept as consent allows: the named one now attributed to the group.
    let texts = try db.store.contributions(in: Scenario.slug)
    let kept = try #require(texts.first { $0.id == written })
    #expect(kept.text == "I am \(report.pseudonym) (\(report.pseudonym)) and I ask for more capacity building.")
    #expect(kept.consent == .stakeholderGroup)
    #expect(texts.first { $0.id == naming }?.text == "I agree with [redacted: personal data] on capacity building.")

    // The draft: revisions, title, her comment rewritten; the comment reattributed to her group, so
    // the resolution matrix no longer names her; the approval stands.
    let p = report.pseudonym
    #expect(try store.draft(of: Scenario.slug).title == "White Paper, with \(p)")
    #expect(try store.draftRevisions(of: Scenario.slug).allSatisfy { $0.body.contains("\(p) asked for a chapter") })
    let rewritten = try #require(try store.comments(in: Scenario.slug).first)
    #expect(rewritten.text == "As \(p), a teacher, I ask for schools.")
    #expect(rewritten.proposedChange == "Name \(p)'s school programme")
    #expect(rewritten.response == "Added, thanks to \(p).")
    #expect(rewritten.quote?.exact == "\(p) asked")
    #expect(rewritten.consent == .stakeholderGroup)
    #expect(rewritten.commenter.attribution == .stakeholderGroup)
    #expect(try store.signOffStatus(of: Scenario.slug).approved == ["bmvg"])
    #expect(try store.consultation(Scenario.slug).owner == "\(p) (on loan)")

    // Every export still works and names nobody erased.
    let exports = try privacyExports(db.store)
    #expect(exports.count == 8)
    for (file, text) in exports {
      #expect(!text.isEmpty, "\(file)")
      for string in strings { #expect(!text.lowercased().contains(string.lowercased()), "\(string) in \(file)") }
    }
    #expect(exports["contributions.csv"]!.contains(report.pseudonym))

    // Forgetting twice is refused; the log is still append-only for editors.
    let erasedID: Int64 = try db.store.connection.query(
      "SELECT id FROM stakeholders WHERE pseudonym = $1", [report.pseudonym]
    ).rows[0].decode("id")
    #expect(throws: StoreError.self) {
      try admin.forgetStakeholder("#\(erasedID)", reason: "again", actor: "admin")
    }
    #expect(RoleTests.refusal(editor, "UPDATE events SET reason = 'x'") == SQLState.insufficientPrivilege)
  }

  @Test("forget a sole trader's business (personal data): its name leaves the dump, its submissions go to the group")
  func forgetSoleTrader() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    try db.store.addStakeholder(
      handle: "glenns", kind: .organisation, name: "Glenn's Market & Catering", group: "industry-associations",
      actor: "clerk")
    try db.store.addStakeholder(
      handle: "glenn", kind: .person, name: "Glenn Miller", group: nil, organisation: "glenns", actor: "clerk")
    let submission = try db.store.recordContribution(
      NewContribution(
        text: "Glenn's Market & Catering asks for simpler rules; Glenny runs it alone.", stakeholder: "glenn",
        attribution: .organisation),
      in: Scenario.slug, actor: "clerk")
    let withheld = try db.store.recordContribution(
      NewContribution(text: "Not for the public.", stakeholder: "glenn", attribution: .notForPublication),
      in: Scenario.slug, actor: "clerk")
    let admin = try RoleTests.store(db, as: "consult_admin")
    let person = try admin.forgetStakeholder("glenn", reason: "request", actor: "admin", alsoIdentifying: ["Glenny"])
    let business = try admin.forgetStakeholder("glenns", reason: "sole trader: personal data", actor: "admin")
    #expect(person.pseudonym != business.pseudonym)
    let dump = try pgDump(db.name)
    for string in ["Glenn's Market", "Glenn Miller", "Glenny", "glenns"] {
      #expect(!dump.contains(string), "\(string) is still in the pg_dump")
    }
    let stored = try db.store.contributions(in: Scenario.slug)
    #expect(stored.first { $0.id == submission.id }?.consent == .stakeholderGroup)
    #expect(
      stored.first { $0.id == submission.id }?.text
        == "\(business.pseudonym) asks for simpler rules; \(person.pseudonym) runs it alone.")
    #expect(stored.first { $0.id == withheld.id }?.consent == .notForPublication)
    #expect(try db.store.verifyLog(of: Scenario.slug).isIntact)
    let exports = try privacyExports(db.store)
    #expect(!exports["contributions.csv"]!.contains("Not for the public."))
    #expect(
      exports["contributions.csv"]!.contains(
        ",stakeholder-group,stakeholder-group,,industry-associations,\(business.pseudonym) asks for simpler rules"),
      "\(exports["contributions.csv"]!)")
  }

  @Test("forget re-pins the earlier texts and redaction rows it rewrites: log verify passes, a later edit is caught")
  func forgetRepinsRevisionsAndRedactions() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    try db.store.addStakeholder(
      handle: "jane-doe", kind: .person, name: "Jane Doe", group: "public", actor: "clerk")
    let scratch = try ScratchDirectory()
    let mapping = try CSVMapping.parse("id: Ref\ntext: Comment\nauthor: Name\n", file: "mapping.yaml")
    let file = try scratch.write("r.csv", "Ref,Comment,Name\n1,Ask Jane Doe on 0301234567.,Alice\n")
    _ = try db.store.importSubmissions(MappedCSVSource(file, mapping: mapping), into: Scenario.slug, actor: "editor")
    _ = try scratch.write("r.csv", "Ref,Comment,Name\n1,Ask Jane Doe on 0301234567 today.,Alice\n")
    _ = try db.store.importSubmissions(
      MappedCSVSource(file, mapping: mapping), into: Scenario.slug, actor: "editor", updateChanged: true)
    let id: Int64 = try db.store.connection.query("SELECT contribution_id AS id FROM contribution_revisions")
      .rows[0].decode("id")
    try db.store.redactContribution(
      id, in: Scenario.slug, span: .text("Jane Doe on 0301234567", every: false), reason: .personalData,
      note: "Jane Doe's number", actor: "editor")
    #expect(try db.store.verifyLog(of: Scenario.slug).isIntact)
    let admin = try RoleTests.store(db, as: "consult_admin")
    let report = try admin.forgetStakeholder("jane-doe", reason: "request", actor: "admin")
    #expect(report.contributions == 1)
    let verified = try db.store.verifyLog(of: Scenario.slug)
    #expect(verified.isIntact, "\(verified.brokenLinks)")
    let dump = try pgDump(db.name)
    #expect(!dump.contains("Jane Doe"))
    for (edit, reported) in [
      ("UPDATE contribution_revisions SET text = 'Ask Jane Doe.'", "earlier text"),
      ("UPDATE contribution_redactions SET original = 'Jane Doe on 0301234567'", "redaction row"),
    ] {
      try LogVerificationTests.tamper(db, edit)
      let broken = try db.store.verifyLog(of: Scenario.slug)
      #expect(
        broken.brokenLinks.contains { $0.entityKind == "contribution" && $0.message.contains(reported) },
        "\(edit): \(broken.brokenLinks)")
    }
  }

  @Test("log verify still catches an event edited after an erasure, and a tampered redaction record")
  func erasureKeepsTheChainHonest() throws {
    let db = try TestDatabase()
    _ = try Self.scenarioWithJane(db.store)
    let admin = try RoleTests.store(db, as: "consult_admin")
    _ = try admin.forgetStakeholder("jane-doe", reason: "request", actor: "admin")
    #expect(try db.store.verifyLog(of: Scenario.slug).isIntact)
    // As a superuser with the guard switched off, rewrite a redacted event once more.
    try db.store.connection.executeScript(
      """
      ALTER TABLE events DISABLE TRIGGER events_append_only;
      UPDATE events SET reason = 'forged' WHERE id = (SELECT event_id FROM event_redactions LIMIT 1);
      ALTER TABLE events ENABLE TRIGGER events_append_only;
      """)
    let broken = try db.store.verifyLog(of: Scenario.slug)
    #expect(!broken.isIntact)
    #expect(broken.brokenLinks.contains { $0.message.contains("does not match its hash") })

    // A forged redaction record (to excuse the edit) no longer matches what the erasure event pinned.
    try db.store.connection.executeScript(
      """
      ALTER TABLE event_redactions DISABLE TRIGGER event_redactions_append_only;
      UPDATE event_redactions r SET hash_after = consult_event_hash(e) FROM events e WHERE e.id = r.event_id;
      ALTER TABLE event_redactions ENABLE TRIGGER event_redactions_append_only;
      """)
    let forged = try db.store.verifyLog(of: Scenario.slug)
    #expect(!forged.isIntact)
    #expect(forged.brokenLinks.contains { $0.message.contains("its redaction records were changed") }, "\(forged)")
  }

  @Test("redact: exports show [redacted: reason], the original is for consult_admin only (42501), an event")
  func redactionWithReason() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let editor = try RoleTests.store(db, as: "consult_editor")
    let written = try editor.recordContribution(
      NewContribution(
        text: "Call me on +49 30 1234567. The agency is useless and corrupt. Call +49 30 1234567 again.",
        stakeholder: "citizen", theme: "instruments", attribution: .named),
      in: Scenario.slug, actor: "clerk")
    #expect(throws: StoreError.self) {  // occurs twice
      try editor.redactContribution(
        written.id, in: Scenario.slug, span: .text("+49 30 1234567", every: false), reason: .personalData, note: nil,
        actor: "editor")
    }
    #expect(throws: StoreError.self) {  // not in the text
      try editor.redactContribution(
        written.id, in: Scenario.slug, span: .text("nowhere", every: false), reason: .personalData, note: nil,
        actor: "editor")
    }
    // An earlier text of it (as a re-import with --update-changed keeps it), written here by the superuser.
    try db.store.connection.execute(
      """
      INSERT INTO contribution_revisions (contribution_id, revision, text, replaced_by_id)
      VALUES ($1, 1, 'Call me on +49 30 1234567.', consult_actor('clerk'))
      """, [written.id])
    // Editors rewrite revisions only together with a logged redaction of that span.
    #expect(
      RoleTests.refusal(editor, "SELECT consult_redact_revisions(\(written.id), 'Call', '[redacted: other]')")
        == SQLState.insufficientPrivilege)
    #expect(RoleTests.refusal(editor, "UPDATE contribution_revisions SET text = 'x'") == SQLState.insufficientPrivilege)
    let first = try editor.redactContribution(
      written.id, in: Scenario.slug, span: .text("+49 30 1234567", every: true), reason: .personalData,
      note: "telephone number", actor: "editor")
    #expect(first.spans == 2)
    #expect(first.revisions == 1)
    #expect(
      try db.store.connection.query("SELECT text FROM contribution_revisions WHERE contribution_id = $1", [written.id])
        .rows[0].decode("text", as: String.self) == "Call me on [redacted: personal data].")
    let start = first.text.distance(
      from: first.text.startIndex, to: first.text.range(of: "useless and corrupt")!.lowerBound)
    let second = try editor.redactContribution(
      written.id, in: Scenario.slug, span: .offsets(from: start, to: start + "useless and corrupt".count),
      reason: .defamation, note: nil, actor: "editor")
    #expect(
      second.text
        == "Call me on [redacted: personal data]. The agency is [redacted: defamation]. Call [redacted: personal data] again."
    )
    #expect(try editor.verifyLog(of: Scenario.slug).isIntact)
    // Two redactions, and the first one's rewrite of the earlier text, pinned anew.
    let events = try editor.eventLog(of: Scenario.slug).filter { $0.event == RecordEvent.redacted }
    #expect(events.count == 3)

    for (file, text) in try privacyExports(editor) {
      #expect(!text.contains("1234567"), "\(file)")
      #expect(!text.contains("corrupt"), "\(file)")
      if file.hasPrefix("contributions.") {
        #expect(text.contains("[redacted: personal data]"), "\(file)")
        #expect(text.contains("[redacted: defamation]"), "\(file)")
      }
    }

    // The originals: consult_admin only.
    let reader = try RoleTests.store(db, as: "consult_reader")
    for store in [editor, reader] {
      #expect(
        RoleTests.refusal(store, "SELECT original FROM contribution_redactions") == SQLState.insufficientPrivilege)
      #expect(
        RoleTests.refusal(store, "SELECT * FROM contribution_redactions") == SQLState.insufficientPrivilege)
      #expect(
        try store.redactions(of: written.id, in: Scenario.slug).map(\.reason) == [
          "personal-data", "personal-data", "defamation",
        ])
      #expect(throws: StoreError.self) { try store.redactedOriginals(of: written.id, in: Scenario.slug) }
      #expect(
        RoleTests.refusal(store, "UPDATE contribution_redactions SET note = 'x'") == SQLState.insufficientPrivilege)
    }
    let admin = try RoleTests.store(db, as: "consult_admin")
    #expect(
      try admin.redactedOriginals(of: written.id, in: Scenario.slug).map(\.original) == [
        "+49 30 1234567", "+49 30 1234567", "useless and corrupt",
      ])
  }

  @Test(
    "a Chatham House statement naming a host or participant is flagged; publishing waits for redaction or clearance")
  func disclosureFlagBlocksPublication() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let store = db.store
    let host = try store.recordContribution(
      NewContribution(
        text: "As BITKOM argued, industry must be heard.", stakeholder: "mdb", workshop: "cyber-security",
        theme: "instruments", receivedAt: Scenario.time("2015-09-17T15:10:00Z")),
      in: Scenario.slug, actor: "rapporteur")
    let person = try store.recordContribution(
      NewContribution(
        text: "Speaking as Member of the Bundestag (defence), I disagree.", stakeholder: "mdb",
        workshop: "cyber-security", theme: "instruments", receivedAt: Scenario.time("2015-09-17T15:11:00Z")),
      in: Scenario.slug, actor: "rapporteur")
    // A name inside a longer word names nobody ("BITKOMS" is no host).
    try store.recordContribution(
      NewContribution(
        text: "The BITKOMS of this world are loud.", stakeholder: "mdb", workshop: "cyber-security",
        receivedAt: Scenario.time("2015-09-17T15:12:00Z")),
      in: Scenario.slug, actor: "rapporteur")
    let flags = try store.eventLog(of: Scenario.slug).filter { $0.event == RecordEvent.disclosureFlagged }
    #expect(Set(flags.map(\.entityID)) == [host.id, person.id])
    #expect(try store.disclosureReview(of: Scenario.slug).map(\.contributionID) == [host.id, person.id])

    try store.draftSummary(
      for: "cyber-security", in: Scenario.slug, title: "Summary", body: "Norms [#1].", actor: "editor",
      at: Scenario.time("2015-09-21T08:00:00Z"))
    try store.advanceSummary(
      for: "cyber-security", in: Scenario.slug, event: "submit-for-review", actor: "editor",
      at: Scenario.time("2015-09-24T08:00:00Z"))
    try store.advanceSummary(
      for: "cyber-security", in: Scenario.slug, event: "approve", actor: "head",
      at: Scenario.time("2015-09-28T08:00:00Z"))
    func publish() throws {
      try store.advanceSummary(for: "cyber-security", in: Scenario.slug, event: "publish", actor: "press")
    }
    do {
      try publish()
      Issue.record("published with flagged statements")
    } catch let error as StoreError {
      #expect(error.kind == .refused)
      #expect(error.message.contains("#\(host.id)") && error.message.contains("#\(person.id)"), "\(error.message)")
    }
    // A named reviewer clears one; the other still blocks.
    try store.clearDisclosure(
      contributionID: host.id, in: Scenario.slug, reviewer: "reviewer", note: "BITKOM is a public co-host")
    #expect(throws: StoreError.self) {
      try store.clearDisclosure(contributionID: host.id, in: Scenario.slug, reviewer: "reviewer", note: nil)
    }
    do {
      try publish()
      Issue.record("published with a flagged statement")
    } catch let error as StoreError {
      #expect(!error.message.contains("#\(host.id) ") && error.message.contains("#\(person.id)"), "\(error.message)")
    }
    // Redacting the name resolves the other.
    try store.redactContribution(
      person.id, in: Scenario.slug, span: .text("Member of the Bundestag (defence)", every: false),
      reason: .personalData, note: nil, actor: "editor")
    try publish()
    let cleared = try store.eventLog(of: Scenario.slug).filter { $0.event == RecordEvent.disclosureCleared }
    #expect(cleared.map(\.actor) == ["reviewer"])
    #expect(try store.verifyLog(of: Scenario.slug).isIntact)

    // Under the rule no name next to a statement, in every format; the redacted name nowhere.
    for (file, text) in try privacyExports(store) {
      for name in Scenario.personNames + ["ICT4Peace"] { #expect(!text.contains(name), "\(name) in \(file)") }
      #expect(!text.contains("mdb"), "a handle in \(file)")
    }
  }

  @Test("participation counts below the threshold read 'fewer than 3' in every format, totals cannot give them back")
  func smallCellsSuppressedEverywhere() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    // Every group has one invitee: every count and every total of the scenario is small.
    let exports = try privacyExports(db.store)
    let markdown = exports["summary.md"]!
    let rows = markdown.split(separator: "\n").filter {
      $0.hasPrefix("| ") && !$0.hasPrefix("| Stakeholder group") && markdown.contains("Participation")
    }
    let participation = rows.filter { $0.contains("fewer than") || $0.contains("withheld") }
    #expect(participation.count >= 4, "\(rows)")
    for row in participation {
      let cells = row.split(separator: "|").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
      for cell in cells.dropFirst() {
        #expect(cell == "fewer than 3" || cell == "withheld" || cell == "0", "\(row)")
      }
    }
    let html = exports["summary.html"]!
    for match in html.matches(of: /<td class="number">([^<]*)<\/td>/) {
      let cell = String(match.output.1)
      #expect(cell == "fewer than 3" || cell == "withheld" || cell == "0" || (Int(cell) ?? 0) >= 3, "\(cell)")
    }
    #expect(html.contains("<td class=\"number\">fewer than 3</td>"))
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(exports["summary.json"]!.utf8)) as? [String: Any])
    let workshop = try #require((json["workshops"] as? [[String: Any]])?.first)
    #expect(workshop["disclosure_threshold"] as? Int == 3)
    var cells = (workshop["participation"] as? [[String: Any]] ?? []).flatMap { row in
      ["invited", "accepted", "attended"].map { row[$0] as Any }
    }
    cells += ["invited", "accepted", "attended"].map { (workshop["totals"] as? [String: Any])?[$0] as Any }
    #expect(cells.count == 18)
    for cell in cells {
      if let count = cell as? Int {
        #expect(count == 0 || count >= 3, "\(cell)")
      } else {
        #expect(["fewer than 3", "withheld"].contains(cell as? String ?? ""), "\(cell)")
      }
    }
    // The attendance and contributions exports carry no counts; the calendar none either.
    for file in ["attendance.csv", "attendance.json", "contributions.csv", "calendar.ics"] {
      #expect(!exports[file]!.contains("fewer than"), "\(file)")
    }

    // The threshold is set per workshop: 1 shows every count.
    try db.store.setDisclosureThreshold(1, workshop: "cyber-security", in: Scenario.slug, actor: "planner")
    let shown = try privacyExports(db.store)["summary.md"]!
    #expect(!shown.contains("fewer than"))
    #expect(shown.contains("| **Total** | 5 | 4 | 3 |"))
    #expect(throws: StoreError.self) {
      try db.store.setDisclosureThreshold(0, workshop: "cyber-security", in: Scenario.slug, actor: "planner")
    }
    #expect(try db.store.verifyLog(of: Scenario.slug).isIntact)
  }

  @Test("cell suppression: no suppressed count can be worked out from the published table (exhaustive check)")
  func suppressionProtectsEveryCell() {
    #expect(
      CellSuppression.suppress(rows: [[1], [5], [7]], threshold: 3).cells.map { $0[0] } == [
        .fewerThan(3), .withheld, .shown(7),
      ])
    #expect(CellSuppression.suppress(rows: [[4], [5]], threshold: 3).totals == [.shown(9)])
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<400 {
      let threshold = Int.random(in: 3...4, using: &generator)
      let rows = (0..<Int.random(in: 1...5, using: &generator)).map { _ in [Int.random(in: 0...7, using: &generator)] }
      let (cells, totals) = CellSuppression.suppress(rows: rows, threshold: threshold)
      let column = cells.map { $0[0] }
      // Every shown value is the true one; every small non-zero value is hidden.
      for (published, row) in zip(column, rows) {
        if let value = published.value { #expect(value == row[0]) }
        if row[0] > 0 && row[0] < threshold { #expect(published == .fewerThan(threshold)) }
      }
      // A reader who knows the rule: enumerate every table consistent with what is published.
      guard let total = totals[0].value else { continue }
      let hidden = column.indices.filter { column[$0].value == nil }
      let hiddenSum = total - column.compactMap(\.value).reduce(0, +)
      var seen = [Int: Set<Int>]()
      func explore(_ index: Int, _ remaining: Int, _ chosen: [Int]) {
        if index == hidden.count {
          if remaining == 0 { for (i, v) in zip(hidden, chosen) { seen[i, default: []].insert(v) } }
          return
        }
        let range = column[hidden[index]] == .withheld ? threshold...max(threshold, hiddenSum) : 1...(threshold - 1)
        for value in range where value <= remaining { explore(index + 1, remaining - value, chosen + [value]) }
      }
      explore(0, hiddenSum, [])
      for index in hidden where column[index] == .fewerThan(threshold) {
        #expect((seen[index]?.count ?? 0) >= 2, "cell \(index) of \(rows) can be worked out: \(column) \(totals)")
      }
    }
  }
}
