import ConsultImport
import ConsultStore
import Foundation
import Testing

@testable import ConsultExport

/// Every export format, rendered from the store as the CLI does.
private func exportAll(_ store: ConsultStore, batchSize: Int = 1_000) throws -> [String: Data] {
  let slug = Scenario.slug
  let data = try store.proceedings(of: slug)
  var result: [String: Data] = [
    "summary.md": Data(try MarkdownExporter().render(data).utf8),
    "summary.html": Data(try HTMLExporter().render(data).utf8),
    "summary.json": Data(try SummaryJSONExporter().render(data).utf8),
  ]
  for format in TabularFormat.allCases {
    var bytes = Data()
    let exporter = ContributionsExporter(format: format, consultation: slug) { bytes.append($0) }
    try exporter.begin()
    try store.forEachContributionBatch(of: slug, batchSize: batchSize) { try exporter.write($0) }
    try exporter.finish()
    result["contributions.\(format.rawValue)"] = bytes
    result["attendance.\(format.rawValue)"] = try AttendanceExporter().render(
      try store.attendanceRecords(of: slug), consultation: slug, format: format)
  }
  result["calendar.ics"] = Data(
    CalendarExporter().render(
      try store.calendarWorkshops(of: slug), consultation: slug, title: try store.consultation(slug).title
    ).utf8)
  return result
}

/// The text of an export with iCalendar folding and TEXT escapes undone, so names split across lines are found.
private func readable(_ data: Data) -> String {
  String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r\n ", with: "")
    .replacingOccurrences(of: "\\,", with: ",").replacingOccurrences(of: "\\;", with: ";")
}

/// Runs a Python snippet on `input`; nil when python3 or the module is missing.
private func python(_ script: String, module: String, input: Data) throws -> (status: Int32, output: String)? {
  let probe = Process()
  probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  probe.arguments = ["python3", "-c", "import \(module)"]
  probe.standardError = FileHandle.nullDevice
  guard (try? probe.run()) != nil else { return nil }
  probe.waitUntilExit()
  guard probe.terminationStatus == 0 else { return nil }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["python3", "-c", script]
  let inp = Pipe()
  let out = Pipe()
  process.standardInput = inp
  process.standardOutput = out
  process.standardError = out
  try process.run()
  inp.fileHandleForWriting.write(input)
  try inp.fileHandleForWriting.close()
  let output = out.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

/// Publishes the workshop's proceedings summary, every step at an explicit time.
private func publishSummary(_ store: ConsultStore) throws {
  try store.draftSummary(
    for: "cyber-security", in: Scenario.slug, title: "Summary of the proceedings",
    body: "Participants discussed norms [#1].\n\nThey agreed on <capacity> & \"coordination\" [#3, #2].",
    actor: "editor",
    at: Scenario.time("2015-09-21T08:00:00Z"))
  for (event, actor, at) in [
    ("submit-for-review", "editor", "2015-09-24T08:00:00Z"), ("approve", "head", "2015-09-28T12:00:00Z"),
    ("publish", "press", "2015-09-30T08:00:00Z"),
  ] {
    try store.advanceSummary(
      for: "cyber-security", in: Scenario.slug, event: event, actor: actor, at: Scenario.time(at))
  }
}

/// `Golden/`, next to this file: the expected exports of the scenario.
private let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .appendingPathComponent("Golden")

/// Where two texts first differ, as "line N: expected …, got …".
private func firstDifference(_ expected: Data, _ actual: Data) -> String {
  let old = String(decoding: expected, as: UTF8.self).components(separatedBy: "\n")
  let new = String(decoding: actual, as: UTF8.self).components(separatedBy: "\n")
  for index in 0..<max(old.count, new.count) {
    let a = index < old.count ? old[index] : "(end)"
    let b = index < new.count ? new[index] : "(end)"
    if a != b { return "line \(index + 1): expected \(a.debugDescription), got \(b.debugDescription)" }
  }
  return "same lines, different bytes"
}

@Suite("Exports: summary, contributions, attendance, calendar")
struct ExportTests {
  @Test("under the Chatham House Rule no name appears in any format, and every format is deterministic")
  func chathamHouseEveryFormat() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    try publishSummary(db.store)
    let exports = try exportAll(db.store)
    #expect(exports.count == 8)
    for (file, data) in exports {
      let text = readable(data)
      #expect(!text.isEmpty)
      for name in Scenario.personNames + ["ICT4Peace"] {
        #expect(!text.contains(name), "\(name) appears in \(file)")
      }
    }
    // Determinism: the same database gives the same bytes, whatever the batch size.
    #expect(try exportAll(db.store, batchSize: 2) == exports)

    let csv = String(decoding: exports["contributions.csv"]!, as: UTF8.self)
    let records = csv.components(separatedBy: "\r\n")
    #expect(records[0] == ContributionsExporter.columns.joined(separator: ","))
    #expect(records.count == 5)  // header, three statements, empty after the last CRLF
    // Under the Chatham House Rule not even the speaker's stakeholder group is shown, whatever the
    // consent stored: the statement is published unattributed.
    #expect(records[1].contains(",manual,,named,unattributed,,,"), "\(records[1])")
    let attendance = String(decoding: exports["attendance.csv"]!, as: UTF8.self)
    #expect(attendance.hasPrefix("workshop,stakeholder_group,invitation_state,rsvp,attended,name,organisation\r\n"))
    // A Chatham House workshop's attendance list is not published at all: the header only.
    #expect(attendance == "workshop,stakeholder_group,invitation_state,rsvp,attended,name,organisation\r\n")

    let ics = String(decoding: exports["calendar.ics"]!, as: UTF8.self)
    #expect(!ics.contains("ATTENDEE"))
    #expect(ics.contains("DTSTART:20150917T073000Z\r\nDTEND:20150917T150000Z\r\n"))
    #expect(ics.contains("STATUS:CONFIRMED\r\n"))
    #expect(ics.range(of: "UID:workshop-[0-9]+@white-paper-2016.consult\r\n", options: .regularExpression) != nil)

    let html = String(decoding: exports["summary.html"]!, as: UTF8.self)
    #expect(html.contains("<html lang=\"en\">"))
    #expect(html.contains("They agreed on &lt;capacity&gt; &amp; &quot;coordination&quot; ["))
    #expect(
      html.contains("<a href=\"#w1-src-2\" id=\"w1-cite-2\">2</a>, <a href=\"#w1-src-3\" id=\"w1-cite-3\">3</a>]"))
    #expect(!html.contains("<capacity>"))
    #expect(html.contains("<th scope=\"col\">Stakeholder group</th>"))
    #expect(html.contains("@media print"))
    // Headings never skip a level.
    var level = 1
    let headings = html.matches(of: /<h([1-6])>/).map { Int($0.output.1)! }
    #expect(headings.first == 1)
    for heading in headings {
      #expect(heading <= level + 1, "h\(heading) after h\(level)")
      level = heading
    }

    let summary = try #require(
      try JSONSerialization.jsonObject(with: exports["summary.json"]!) as? [String: Any])
    #expect(summary["schema"] as? String == "consult.proceedings-summary/2")
    let workshop = try #require((summary["workshops"] as? [[String: Any]])?.first)
    #expect(workshop["starts_at"] as? String == "2015-09-17T07:30:00Z")
    #expect(workshop["chatham_house"] as? Bool == true)
    #expect((workshop["statements"] as? [[String: Any]])?.count == 3)
    #expect(workshop["venue"] as? String == "Berlin")
  }

  @Test("every format of the scenario equals its golden file byte for byte (RECORD_GOLDEN=1 rewrites them)")
  func goldenFiles() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    try publishSummary(db.store)
    let exports = try exportAll(db.store)
    let record = ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1"
    if record { try FileManager.default.createDirectory(at: goldenDirectory, withIntermediateDirectories: true) }
    for (file, data) in exports.sorted(by: { $0.key < $1.key }) {
      let url = goldenDirectory.appendingPathComponent(file)
      if record {
        try data.write(to: url)
        continue
      }
      let expected = try #require(
        FileManager.default.contents(atPath: url.path), "Golden/\(file) is missing: run the test with RECORD_GOLDEN=1")
      #expect(
        data == expected,
        "\(file) differs from Golden/\(file) (\(firstDifference(expected, data))); if the change is intended, run the test with RECORD_GOLDEN=1 and review the diff"
      )
    }
    let stored = try FileManager.default.contentsOfDirectory(atPath: goldenDirectory.path).filter { !$0.hasPrefix(".") }
    #expect(Set(stored) == Set(exports.keys), "Golden/ holds a file no export writes, or lacks one")
  }

  @Test("campaigns are shown once with their size in the Markdown, HTML and JSON summaries")
  func campaigns() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let letter = "Keep the regional rail services running after 2030; rural communities depend on them."
    for (index, text) in [letter, letter, letter, "Close the regional rail services | & <now>."].enumerated() {
      try db.store.recordContribution(
        NewContribution(
          text: text, stakeholder: nil, attribution: .organisation,
          receivedAt: Scenario.time("2015-10-0\(index + 1)T12:00:00Z")),
        in: Scenario.slug, actor: "clerk")
    }
    let data = try db.store.proceedings(of: Scenario.slug)
    try #require(data.writtenCampaigns.map(\.size) == [3])
    let markdown = try MarkdownExporter().render(data)
    #expect(
      markdown.contains(
        "4 written submissions, received between 2015-10-01 and 2015-10-04 (UTC). 2 when identical copies count once."))
    #expect(markdown.contains("| 1 | 3 | identical | \(letter) |\n"))
    #expect(markdown.components(separatedBy: letter).count == 2)  // once: the campaign, not each member
    let html = try HTMLExporter().render(data)
    #expect(
      html.contains(
        "<p>4 written submissions, received between 2015-10-01 and 2015-10-04 (UTC). 2 when identical copies count once.</p>"
      ))
    #expect(html.contains("<tr><td class=\"number\">1</td><td class=\"number\">3</td><td>identical</td><td>"))
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(try SummaryJSONExporter().render(data).utf8)) as? [String: Any])
    let written = try #require(json["written_submissions"] as? [String: Any])
    #expect(written["total"] as? Int == 4)
    #expect(written["distinct"] as? Int == 2)
    let campaigns = try #require(written["campaigns"] as? [[String: Any]])
    #expect(campaigns.count == 1)
    #expect(campaigns.first?["size"] as? Int == 3)
    #expect(campaigns.first?["kind"] as? String == "exact")
    #expect(campaigns.first?["excerpt"] as? String == letter)
  }

  @Test("a template of one's own renders Markdown and HTML from the same context; a malformed one is refused")
  func ownTemplate() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    try publishSummary(db.store)
    let data = try db.store.proceedings(of: Scenario.slug)
    let template = """
      {{consultation.title}}|{{#workshops}}{{title}}:{{totalAttended}}:{{#statementThemes}}{{count}}{{#statements}}[{{source}}]{{/statements}}{{/statementThemes}}{{/workshops}}|{{writtenDistinct}}
      """
    let expected = "White Paper 2016 on German Security Policy and the Future of the Bundeswehr|"
    #expect(try MarkdownExporter(template: template).render(data).hasPrefix(expected + "Expert workshop \"White"))
    // The HTML content type escapes every value; the total attended (3 people of 3 groups, 1 each) is withheld.
    let html = try HTMLExporter(template: template).render(data)
    #expect(html.hasPrefix(expected + "Expert workshop &quot;White Paper 2016 on Cyber Security&quot;:withheld:2["))
    for name in Scenario.personNames + ["ICT4Peace"] {
      #expect(!html.contains(name))
    }
    #expect(throws: TemplateError.self) { try HTMLExporter(template: "{{#workshops}}unclosed") }
    #expect(throws: TemplateError.self) { try MarkdownExporter(template: "ok\n{{/workshops}}") }
  }

  @Test("the HTML template `export template` prints has its partial written out and renders as the shipped one")
  func standaloneTemplate() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    try publishSummary(db.store)
    let data = try db.store.proceedings(of: Scenario.slug)
    #expect(!HTMLExporter.standaloneTemplate.contains("{{>"))
    #expect(HTMLExporter.defaultTemplate.contains("{{> summary-body}}"))
    let shipped = try HTMLExporter().render(data)
    #expect(shipped.contains("Summary of the proceedings"))
    #expect(try HTMLExporter(template: HTMLExporter.standaloneTemplate).render(data) == shipped)
    // A template of one's own may use the partial too.
    #expect(
      try HTMLExporter(template: "{{#workshops}}{{#summary}}{{> summary-body}}{{/summary}}{{/workshops}}").render(data)
        .contains("<p class=\"note\">"))
  }

  @Test("the summary JSON validates against its JSON Schema (when python3-jsonschema is installed)")
  func summarySchema() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    try publishSummary(db.store)
    let json = Data(try SummaryJSONExporter().render(try db.store.proceedings(of: Scenario.slug)).utf8)
    let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Schema/json/proceedings-summary-2.schema.json")
    #expect(FileManager.default.fileExists(atPath: schema.path))
    let script = """
      import json, sys, jsonschema
      schema = json.load(open(sys.argv[1]))
      jsonschema.Draft202012Validator.check_schema(schema)
      jsonschema.validate(json.load(sys.stdin), schema, cls=jsonschema.Draft202012Validator)
      """
    if let result = try python(
      script.replacingOccurrences(of: "sys.argv[1]", with: "'\(schema.path)'"), module: "jsonschema", input: json)
    {
      #expect(result.status == 0, "\(result.output)")
    }
  }

  @Test("without the Chatham House Rule names appear as consented, and the calendar lists attendees")
  func openWorkshop() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store, chathamHouse: false)
    try db.store.recordContribution(
      NewContribution(
        text: "Off the record.", stakeholder: "mdb", workshop: "cyber-security", attribution: .notForPublication),
      in: Scenario.slug, actor: "rapporteur")
    try db.store.recordContribution(
      NewContribution(text: "Groups only, please; thanks.", stakeholder: "aa", attribution: .stakeholderGroup),
      in: Scenario.slug, actor: "rapporteur")
    let exports = try exportAll(db.store)
    for (file, data) in exports {
      #expect(!readable(data).contains("Off the record."), "a not-for-publication text appears in \(file)")
    }
    let csv = String(decoding: exports["contributions.csv"]!, as: UTF8.self)
    #expect(
      csv.contains(",named,named,President of the ICT4Peace Foundation (ICT4Peace Foundation),international-partners,"))
    #expect(csv.contains(",stakeholder-group,stakeholder-group,,ministries,\"Groups only, please; thanks.\"\r\n"))
    let json = try #require(
      try JSONSerialization.jsonObject(with: exports["contributions.json"]!) as? [String: Any])
    #expect(json["schema"] as? String == "consult.contributions/2")
    let rows = try #require(json["contributions"] as? [[String: Any]])
    #expect(rows.count == 4)
    #expect(Set(rows[0].keys) == Set(ContributionsExporter.columns))
    #expect(rows[3]["attributed_to"] is NSNull)

    let attendance = String(decoding: exports["attendance.csv"]!, as: UTF8.self)
    #expect(
      attendance.contains(
        "cyber-security,international-partners,attended,accepted,true,President of the ICT4Peace Foundation,ICT4Peace Foundation\r\n"
      ))

    let ics = String(decoding: exports["calendar.ics"]!, as: UTF8.self)
    let unfolded = ics.replacingOccurrences(of: "\r\n ", with: "")
    #expect(unfolded.contains("ATTENDEE;CN=\"Member of the public\";PARTSTAT=DECLINED:urn:uuid:"))
    #expect(unfolded.contains("ATTENDEE;CN=\"Member of the Bundestag (defence)\";PARTSTAT=ACCEPTED:urn:uuid:"))
    #expect(unfolded.contains(";PARTSTAT=ACCEPTED:urn:uuid:"))
    #expect(unfolded.contains("ATTENDEE;CN=\"Cyber policy coordinator, Federal Foreign Office\";"))
    // RFC 5545 §3.1: CRLF everywhere, no line longer than 75 octets.
    #expect(!ics.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    for line in ics.components(separatedBy: "\r\n") {
      #expect(line.utf8.count <= 75, "\(line)")
    }
    let script = """
      import sys, icalendar
      cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
      events = cal.walk('VEVENT')
      assert len(events) == 1, events
      e = events[0]
      print(len(e.get('ATTENDEE')), e.get('SUMMARY'), e.decoded('DTSTART').isoformat(), e.get('SEQUENCE'))
      """
    if let result = try python(script, module: "icalendar", input: exports["calendar.ics"]!) {
      #expect(result.status == 0, "\(result.output)")
      #expect(result.output == "5 Expert workshop \"White Paper 2016 on Cyber Security\" 2015-09-17T07:30:00+00:00 0\n")
    }
  }

  @Test("iCalendar folding never splits a UTF-8 sequence and TEXT values are escaped")
  func icalendarText() {
    let long = String(repeating: "ü", count: 50) + "; a, b\\c\nd"
    let folded = CalendarExporter.fold("SUMMARY:" + CalendarExporter.text(long))
    for line in folded.components(separatedBy: "\r\n") where !line.isEmpty {
      #expect(line.utf8.count <= 75)
    }
    #expect(
      folded.replacingOccurrences(of: "\r\n ", with: "") == "SUMMARY:" + String(repeating: "ü", count: 50)
        + "\\; a\\, b\\\\c\\nd\r\n")
  }
}

@Suite("Exports of real imported comments")
struct RealCommentExportTests {
  @Test(
    "the regulations.gov comments export in every format, and no submitter is ever named as a source",
    .enabled(if: Scenario.regulationsGovData != nil, "../shared/realdata is not present"))
  func realComments() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let source = try RegulationsGovSource.locate(try #require(Scenario.regulationsGovData))
    _ = try db.store.importSubmissions(source, into: Scenario.slug, actor: "importer")
    let exports = try exportAll(db.store)
    let persons = try db.store.connection.query(
      "SELECT name FROM stakeholders WHERE kind = 'person' AND source = 'regulations-gov'"
    ).map { try $0.decode("name", as: String.self) }
    #expect(persons.count == 199)

    // Contributions: every written submission is listed; its source is at most its organisation.
    let contributionsJSON = try #require(exports["contributions.json"])
    let json = try #require(try JSONSerialization.jsonObject(with: contributionsJSON) as? [String: Any])
    let rows = try #require(json["contributions"] as? [[String: Any]])
    let written = rows.filter { $0["kind"] as? String == "written-submission" }
    #expect(written.count == 199)
    let sources = Set(written.compactMap { $0["attributed_to"] as? String })
    #expect(sources.contains("Duke University"))
    #expect(sources.isDisjoint(with: Set(persons)))
    let csvData = try #require(exports["contributions.csv"])
    let csv = String(decoding: csvData, as: UTF8.self)
    #expect(csv.contains("USDA-2017-0002-2889"))
    // The summary formats count them, name organisations, and never a person.
    for name in ["summary.md", "summary.html", "summary.json"] {
      let data = try #require(exports[name])
      let text = String(decoding: data, as: UTF8.self)
      #expect(text.contains("Duke University"), "\(name)")
      #expect(text.contains("199"), "\(name)")
      for person in persons where person.count > 8 {
        #expect(!text.contains(person), "\(name) names \(person)")
      }
    }
  }
}

@Suite("A Chatham House workshop that allows publishing its attendance list")
struct PublishedAttendanceTests {
  @Test("the attendance list and calendar attendees appear; statements stay unattributed")
  func publishAttendance() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    var exports = try exportAll(db.store)
    #expect(!readable(exports["attendance.csv"]!).contains("President of the ICT4Peace Foundation"))
    try db.store.setAttendancePublication(true, for: "cyber-security", in: Scenario.slug, actor: "planner")
    exports = try exportAll(db.store)
    let attendance = readable(exports["attendance.csv"]!)
    #expect(attendance.contains("President of the ICT4Peace Foundation"))
    #expect(attendance.contains("cyber-security,parliament,attended,accepted,true,"))
    #expect(readable(exports["calendar.ics"]!).contains("ATTENDEE;CN="))
    for name in ["summary.md", "summary.html", "summary.json", "contributions.csv", "contributions.json"] {
      let text = readable(exports[name]!)
      for person in Scenario.personNames + ["ICT4Peace"] {
        #expect(!text.contains(person), "\(name) names \(person)")
      }
    }
  }
}

@Suite("Moving a workshop")
struct RescheduleTests {
  @Test("a moved workshop keeps its UID, bumps SEQUENCE and shows the new times; a final one cannot move")
  func reschedule() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let before = readable(try exportAll(db.store)["calendar.ics"]!)
    #expect(before.contains("SEQUENCE:0\r\n"))
    let uid = try #require(before.split(separator: "\r\n").first { $0.hasPrefix("UID:") })
    let start = Scenario.time("2015-09-24T07:30:00Z")
    let end = Scenario.time("2015-09-24T15:00:00Z")
    let moved = try db.store.rescheduleWorkshop(
      "cyber-security", in: Scenario.slug, startsAt: start, endsAt: end, actor: "planner", reason: "room")
    #expect(moved.startsAt == start && moved.timeZone == "Europe/Berlin")
    let after = readable(try exportAll(db.store)["calendar.ics"]!)
    #expect(after.contains(String(uid) + "\r\n"))
    #expect(after.contains("SEQUENCE:1\r\n"))
    #expect(after.contains("DTSTART:20150924T073000Z\r\n"))
    #expect(try db.count("workshop_reschedules") == 1)
    // The event log is untouched: moving is not a state change.
    #expect(try db.store.checkLog(of: Scenario.slug).discrepancies.isEmpty)

    let cancelled = try db.store.addWorkshop(
      key: "gone", to: Scenario.slug, title: "Gone", venue: nil, startsAt: start, endsAt: end, timeZone: "UTC",
      chathamHouse: false, hosts: [], actor: "planner")
    try db.store.advanceWorkshop(cancelled.key, in: Scenario.slug, event: "cancel", actor: "planner")
    let error = try #require(throws: StoreError.self) {
      try db.store.rescheduleWorkshop("gone", in: Scenario.slug, startsAt: start, endsAt: end, actor: "planner")
    }
    #expect(error.description.contains("final state"))
  }
}
