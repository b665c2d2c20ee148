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

/// Publishes the workshop's proceedings summary.
private func publishSummary(_ store: ConsultStore) throws {
  try store.draftSummary(
    for: "cyber-security", in: Scenario.slug, title: "Summary of the proceedings",
    body: "Participants discussed norms.\n\nThey agreed on <capacity> & \"coordination\".", actor: "editor")
  for (event, actor) in [("submit-for-review", "editor"), ("approve", "head"), ("publish", "press")] {
    try store.advanceSummary(for: "cyber-security", in: Scenario.slug, event: event, actor: actor)
  }
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
    // Under the Chatham House Rule not even the speaker's stakeholder group is shown.
    #expect(records[1].contains(",stakeholder-group,,,"))
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
    #expect(html.contains("They agreed on &lt;capacity&gt; &amp; &quot;coordination&quot;."))
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
    #expect(summary["schema"] as? String == "consult.proceedings-summary/1")
    let workshop = try #require((summary["workshops"] as? [[String: Any]])?.first)
    #expect(workshop["starts_at"] as? String == "2015-09-17T07:30:00Z")
    #expect(workshop["chatham_house"] as? Bool == true)
    #expect((workshop["statements"] as? [[String: Any]])?.count == 3)
    #expect(workshop["venue"] as? String == "Berlin")
  }

  @Test("the summary JSON validates against its JSON Schema (when python3-jsonschema is installed)")
  func summarySchema() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    try publishSummary(db.store)
    let json = Data(try SummaryJSONExporter().render(try db.store.proceedings(of: Scenario.slug)).utf8)
    let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Schema/json/proceedings-summary-1.schema.json")
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
    #expect(csv.contains(",named,President of the ICT4Peace Foundation (ICT4Peace Foundation),international-partners,"))
    #expect(csv.contains(",stakeholder-group,,ministries,\"Groups only, please; thanks.\"\r\n"))
    let json = try #require(
      try JSONSerialization.jsonObject(with: exports["contributions.json"]!) as? [String: Any])
    #expect(json["schema"] as? String == "consult.contributions/1")
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
