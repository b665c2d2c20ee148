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
}
