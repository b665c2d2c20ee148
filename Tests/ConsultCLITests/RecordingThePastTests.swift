import Foundation
import Testing

/// A finished consultation recorded with its real dates: every recording command takes `--at`, and
/// every change it makes is in the event log at that time.
@Suite("Recording the past with --at")
struct RecordingThePastTests {
  @Test("every recording command takes --at; the log carries 2015 dates only, every change an event")
  func everyCommandTakesAt() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "wp", "--title", "White Paper", "--at", "2015-02-17T09:00"])
    try cli.ok(["theme", "add", "wp", "cyber", "--title", "Cyber security", "--at", "2015-02-17T09:05"])
    try cli.ok(["stakeholder", "add", "host", "--kind", "organisation", "--name", "Host Ministry"])
    try cli.ok(["stakeholder", "add", "expert", "--name", "An expert", "--group", "academia"])
    try cli.ok(["stakeholder", "add", "other", "--name", "Another expert", "--group", "academia"])
    try cli.ok([
      "workshop", "add", "wp", "ws", "--title", "Workshop", "--starts", "2015-09-17T09:30", "--ends",
      "2015-09-17T17:00", "--time-zone", "Europe/Berlin", "--host", "host", "--chatham-house", "--at",
      "2015-07-01T08:00",
    ])
    try cli.ok([
      "workshop", "reschedule", "wp", "ws", "--starts", "2015-09-17T10:00", "--ends", "2015-09-17T17:30", "--at",
      "2015-07-05T08:00",
    ])
    try cli.ok(["workshop", "attendance-list", "wp", "ws", "--at", "2015-07-06T08:00"])
    try cli.ok(["invite", "wp", "ws", "expert", "other", "--send", "--at", "2015-07-02T08:00"])
    try cli.ok(["advance", "wp", "open-participation", "--at", "2015-07-03T08:00"])
    try cli.ok(["workshop", "advance", "wp", "ws", "schedule", "--at", "2015-08-03T08:00"])
    try cli.ok(["rsvp", "wp", "ws", "expert", "accept", "--at", "2015-08-10T09:00"])
    try cli.ok(["invitation", "advance", "wp", "ws", "other", "withdraw", "--at", "2015-08-11T09:00"])
    try cli.ok(["workshop", "advance", "wp", "ws", "hold", "--at", "2015-09-17T15:00"])
    try cli.ok(["attendance", "wp", "ws", "--attended", "expert", "--at", "2015-09-17T15:00"])
    try cli.ok([
      "contribute", "wp", "--workshop", "ws", "--stakeholder", "expert", "--text", "Norms matter.", "--at",
      "2015-09-17T15:01",
    ])
    try cli.ok(["contributions", "tag", "wp", "--search", "norms", "--theme", "cyber", "--at", "2015-09-18T08:00"])
    try cli.ok(["summary", "draft", "wp", "ws", "--title", "Summary", "--text", "Draft.", "--at", "2015-09-21T09:00"])
    try cli.ok(["summary", "edit", "wp", "ws", "--text", "Norms [#1].", "--at", "2015-09-23T16:00"])
    try cli.ok(["summary", "advance", "wp", "ws", "submit-for-review", "--at", "2015-09-24T08:00"])
    try cli.ok(["deadline", "set", "wp", "2015-10-31T23:00:00+01:00", "--at", "2015-09-25T08:00"])
    try cli.ok(["deadline", "clear", "wp", "--at", "2015-09-26T08:00"])

    let log = try cli.ok(["log", "wp", "--json"])
    let entries = try #require(try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [[String: Any]])
    let events = Set(entries.compactMap { $0["event"] as? String })
    for expected in [
      "create", "add-theme", "reschedule", "allow-attendance-list", "send", "open-participation", "schedule",
      "accept", "withdraw", "hold", "attend", "tag", "revise-text", "submit-for-review", "set-deadline",
      "clear-deadline",
    ] {
      #expect(events.contains(expected), "no '\(expected)' event in the log")
    }
    for entry in entries {
      let time = try #require(entry.first { $0.key.lowercased().contains("occurred") }?.value as? String)
      #expect(time.hasPrefix("2015-"), "\(entry)")
    }
    #expect(try cli.ok(["log", "check"]).status == 0)
    // The summary's first text is kept as revision 1.
    let show = try cli.ok(["summary", "show", "wp", "ws"]).stdout
    #expect(show.contains("revision 2"))
  }

  @Test("events are recorded in order: --at before an entity's last event, or before the opening, is refused")
  func inOrder() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "t1", "--title", "T", "--at", "2024-01-01"])
    let early = try cli.run(["advance", "t1", "cancel", "--at", "2023-01-01"])
    #expect(early.status == 1, "\(early.stderr)")
    #expect(
      early.stderr.contains("'cancel' at 2023-01-01T00:00:00Z is before the consultation's previous event 'open'"))
    let before = try cli.run(["contribute", "t1", "--text", "Too early.", "--at", "2023-06-01"])
    #expect(before.status == 1 && before.stderr.contains("before its consultation was opened"), "\(before.stderr)")
    #expect(try cli.ok(["log", "verify", "t1"]).stdout.hasPrefix("ok:"))
  }

  @Test("a notice-and-comment docket runs to the end: imported at a past date, comments accepted, report, closed")
  func docketToTheEnd() throws {
    let regulations = WorkflowMatrixTests.realdata.appendingPathComponent("regulations-gov-usda-2017-0002")
    try #require(FileManager.default.fileExists(atPath: regulations.path), "../shared/realdata is missing")
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "nc", "--title", "Docket", "--workflow", "notice-and-comment", "--at", "2017-07-17"])
    try cli.ok(["advance", "nc", "publish-notice", "--at", "2017-07-17T12:00"])
    try cli.ok(["advance", "nc", "open-comment-period", "--at", "2017-07-17T12:05"])
    try cli.ok(["contributions", "import", "nc", regulations.path, "--format", "regulations-gov", "--at", "2017-10-01"])
    try cli.ok(["advance", "nc", "close-comment-period", "--at", "2017-10-02"])
    let listed = try cli.ok(["contributions", "list", "nc", "--json"]).stdout
    let rows = try #require(try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[String: Any]])
    let first = try #require(rows.first?["id"] as? Int)
    // Not before the comment period closed: the condition reads the consultation's current phase.
    let backdated = try cli.run([
      "contributions", "advance", "nc", "reject", "--id", String(first), "--at", "2017-09-01",
    ])
    #expect(backdated.status == 1, "\(backdated.stderr)")
    #expect(
      backdated.stderr.contains("is before the consultation's latest change of phase 'close-comment-period'"),
      "\(backdated.stderr)")
    try cli.ok([
      "contributions", "advance", "nc", "reject", "--id", String(first), "--reason", "off-topic", "--at", "2017-10-03",
    ])
    let accepted = try cli.ok(["contributions", "advance", "nc", "accept", "--all", "--at", "2017-10-03"]).stdout
    #expect(accepted.contains("accept: 198 contributions moved"), "\(accepted)")
    let none = try cli.run(["contributions", "advance", "nc", "acept", "--all"])
    #expect(none.status == 1 && none.stderr.contains("did you mean 'accept'"), "\(none.stderr)")
    try cli.ok([
      "summary", "draft", "nc", "--title", "Report on the comments", "--text", "All accepted.", "--at", "2017-10-04",
    ])
    for (event, day) in [("submit-for-review", "05"), ("approve", "06"), ("publish", "07")] {
      try cli.ok(["summary", "advance", "nc", event, "--at", "2017-10-\(day)"])
    }
    try cli.ok(["advance", "nc", "publish-report", "--at", "2017-10-08"])
    try cli.ok(["advance", "nc", "close", "--at", "2017-10-09"])
    let log = try cli.ok(["log", "nc", "--json"]).stdout
    let entries = try #require(try JSONSerialization.jsonObject(with: Data(log.utf8)) as? [[String: Any]])
    for entry in entries {
      let time = try #require(entry["occurred_at"] as? String)
      #expect(time.hasPrefix("2017-"), "\(entry)")
    }
    #expect(try cli.ok(["log", "verify", "nc"]).stdout.hasPrefix("ok:"))
    // The report says how many were taken in and how many left out.
    let report = try cli.ok(["export", "summary", "nc"]).stdout
    #expect(report.contains("By assessment: accepted 198, rejected 1."), "\(report)")
    // Closed: its record is finished; nothing is added and nothing in it moves.
    for refused in [
      ["contribute", "nc", "--text", "A late comment.", "--at", "2018-02-02"],
      ["contributions", "import", "nc", regulations.path, "--format", "regulations-gov", "--source", "again"],
      ["contributions", "advance", "nc", "reject", "--all"],
      ["theme", "add", "nc", "late", "--title", "Late"],
    ] {
      let outcome = try cli.run(refused)
      #expect(outcome.status == 1, "\(refused): \(outcome.stderr)")
      #expect(outcome.stderr.contains("the consultation is 'closed', a final state"), "\(refused): \(outcome.stderr)")
    }
    #expect(try cli.ok(["show", "nc"]).stdout.contains("contributions: 199 (accepted 198, rejected 1)"))
  }
}
