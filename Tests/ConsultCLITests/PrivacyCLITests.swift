import Foundation
import Testing

@Suite("CLI: erasure, redaction, disclosure control")
struct PrivacyCLITests {
  @Test("flag, refuse to publish, clear, redact, suppress, forget: end to end through the consult binary")
  func privacyWalkThrough() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    for actor in ["planner", "editor", "reviewer", "admin"] { try cli.ok(["actor", "add", actor]) }
    try cli.ok(["actor", "add", "jane-doe", "--name", "Jane Doe"])
    try cli.ok(["open", "wp", "--title", "White Paper", "--theme", "cyber=Cyber security", "--actor", "planner"])
    try cli.ok([
      "stakeholder", "add", "host", "--kind", "organisation", "--name", "Host Ministry", "--group", "ministries",
    ])
    try cli.ok([
      "stakeholder", "add", "jane-doe", "--name", "Jane Doe", "--group", "public", "--email", "jane.doe@example.org",
    ])
    try cli.ok([
      "workshop", "add", "wp", "ws", "--title", "Workshop", "--starts", "2015-09-17T09:30", "--ends",
      "2015-09-17T17:00", "--time-zone", "Europe/Berlin", "--host", "host", "--chatham-house",
    ])
    try cli.ok(["invite", "wp", "ws", "jane-doe", "--send"])
    try cli.ok(["advance", "wp", "open-participation"])
    try cli.ok(["workshop", "advance", "wp", "ws", "schedule"])
    try cli.ok(["rsvp", "wp", "ws", "jane-doe", "accept"])
    try cli.ok(["workshop", "advance", "wp", "ws", "hold"])
    try cli.ok(["attendance", "wp", "ws", "--attended", "jane-doe"])
    let flagged = try cli.ok([
      "contribute", "wp", "--workshop", "ws", "--stakeholder", "jane-doe", "--json", "--text",
      "I, Jane Doe, think the Host Ministry should publish its norms.",
    ])
    #expect(flagged.stderr.contains("flagged: contribution #"), "\(flagged.stderr)")
    let id = try #require(
      (try JSONSerialization.jsonObject(with: Data(flagged.stdout.utf8)) as? [String: Any])?["id"] as? Int)
    #expect(try cli.ok(["contributions", "flagged", "wp"]).stdout.contains("#\(id)\tws\t"))

    try cli.ok(["summary", "draft", "wp", "ws", "--title", "Summary", "--text", "We discussed norms."])
    try cli.ok(["summary", "advance", "wp", "ws", "submit-for-review", "--actor", "editor"])
    try cli.ok(["summary", "advance", "wp", "ws", "approve", "--actor", "editor"])
    let refused = try cli.run(["summary", "advance", "wp", "ws", "publish", "--actor", "editor"])
    #expect(refused.status != 0)
    #expect(refused.stderr.contains("#\(id)") && refused.stderr.contains("Chatham House"), "\(refused.stderr)")

    // Redact the name; the host is named on purpose: a reviewer clears it.
    try cli.ok(["contributions", "redact", "wp", String(id), "--span", "Jane Doe", "--reason", "personal-data"])
    #expect(try cli.run(["contributions", "redact", "wp", String(id), "--reason", "other"]).status == 2)
    let unknownReviewer = try cli.run(["contributions", "clear", "wp", String(id), "--reviewer", "nobody"])
    #expect(unknownReviewer.status != 0 && unknownReviewer.stderr.contains("unknown actor 'nobody'"))
    try cli.ok(["contributions", "clear", "wp", String(id), "--reviewer", "reviewer", "--note", "the host is public"])
    try cli.ok(["summary", "advance", "wp", "ws", "publish", "--actor", "editor"])
    let redactions = try cli.ok(["contributions", "redactions", "wp", String(id)]).stdout
    #expect(redactions.contains("personal-data") && !redactions.contains("Jane Doe"), "\(redactions)")
    let originals = try cli.ok(["contributions", "redactions", "wp", String(id), "--originals"]).stdout
    #expect(originals.contains("original: Jane Doe"), "\(originals)")

    let markdown = try cli.ok(["export", "summary", "wp", "--format", "markdown"]).stdout
    #expect(markdown.contains("I, [redacted: personal data], think the Host Ministry should publish its norms."))
    #expect(markdown.contains("| Members of the public | fewer than 3 | fewer than 3 | fewer than 3 |"), "\(markdown)")
    try cli.ok(["workshop", "disclosure-threshold", "wp", "ws", "1"])
    #expect(
      try cli.ok(["export", "summary", "wp", "--format", "markdown"]).stdout.contains(
        "| Members of the public | 1 | 1 | 1 |"))

    // Erasure: an administrator's command; the record still verifies.
    let forgot = try cli.ok([
      "stakeholder", "forget", "jane-doe", "--reason", "erasure request", "--actor", "admin", "--json",
    ])
    let report = try #require(try JSONSerialization.jsonObject(with: Data(forgot.stdout.utf8)) as? [String: Any])
    #expect((report["pseudonym"] as? String)?.hasPrefix("Participant ") == true)
    #expect(report["actors"] as? Int == 1)
    #expect(report["vacuumed"] as? Bool == true)
    try cli.ok(["log", "verify", "wp"])
    let stakeholders = try cli.ok(["stakeholder", "list", "--all"]).stdout
    #expect(!stakeholders.contains("Jane Doe") && stakeholders.contains("Participant "), "\(stakeholders)")
    let again = try cli.run(["stakeholder", "forget", "jane-doe", "--reason", "again", "--actor", "admin"])
    #expect(again.status != 0)
  }
}
