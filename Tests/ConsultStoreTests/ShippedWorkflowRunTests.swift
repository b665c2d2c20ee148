import ConsultCore
import ConsultExport
import ConsultStore
import Foundation
import Postgres
import Testing

/// Each shipped workflow run end to end through the store, timers fired by `tick`.
@Suite("Shipped workflows, end to end")
struct ShippedWorkflowRunTests {
  static func file(_ name: String) -> String {
    Scenario.workflowFile.deletingLastPathComponent().appendingPathComponent("\(name).yaml").path
  }

  static func refusal(_ body: () throws -> Void) -> String? {
    do {
      try body()
      return nil
    } catch let error as StoreError where error.kind == .refused {
      return error.description
    } catch {
      return "unexpected: \(error)"
    }
  }

  @Test("white-paper: the scenario, with the participatory phase closed by its deadline timer")
  func whitePaper() throws {
    let db = try TestDatabase()
    let store = db.store
    try Scenario.build(store)
    let deadline = Date(timeIntervalSince1970: 1_446_336_000)  // 2015-11-01
    try store.setDeadline(
      // Set on 2015-10-01.
      of: Scenario.slug, to: deadline, actor: "planner", at: Date(timeIntervalSince1970: 1_443_657_600))
    // At the deadline the held workshop has no published summary yet: blocked.
    #expect(try store.tick(now: deadline).timers.map(\.outcome) == [.blocked])
    try store.draftSummary(
      for: "cyber-security", in: Scenario.slug, title: "Summary", body: "Participants discussed norms.", actor: "editor"
    )
    for event in ["submit-for-review", "approve", "publish"] {
      try store.advanceSummary(for: "cyber-security", in: Scenario.slug, event: event, actor: "editor")
    }
    try store.advanceWorkshop("cyber-security", in: Scenario.slug, event: "summarise", actor: "editor")
    let report = try store.tick(now: deadline.addingTimeInterval(3600))
    #expect(report.fired.map(\.due.event) == ["close-participation"])
    for event in ["begin-drafting", "begin-coordination", "submit-for-adoption", "adopt", "publish"] {
      try store.advanceConsultation(Scenario.slug, event: event, actor: "planner")
    }
    #expect(try store.consultation(Scenario.slug).state == "closed")
    #expect(try store.checkLog().isConsistent)
  }

  @Test("notice-and-comment: notice, comment period closed at the deadline, review, report, closed")
  func noticeAndComment() throws {
    let db = try TestDatabase()
    let store = db.store
    let workflow = try store.resolveWorkflow(Self.file("notice-and-comment"))
    let deadline = Date(timeIntervalSince1970: 1_900_000_000)
    let opened = try store.openConsultation(
      slug: "proposed-rule", title: "Proposed rule", owner: "An agency", workflow: workflow,
      deadline: deadline, actor: "agency")
    #expect(opened.state == "notice-drafting")
    #expect(opened.deadline == deadline)
    try store.advanceConsultation("proposed-rule", event: "publish-notice", actor: "agency")
    try store.advanceConsultation("proposed-rule", event: "open-comment-period", actor: "agency")
    var comments: [Int64] = []
    for text in ["Support the rule.", "Oppose the rule.", "Buy cheap watches"] {
      comments.append(
        try store.recordContribution(
          NewContribution(text: text, stakeholder: nil), in: "proposed-rule", actor: "agency"
        )
        .id)
    }
    // Comments are assessed only after the comment period.
    let early = Self.refusal {
      try store.fire("accept", on: EntityReference(.contribution, comments[0]), actor: "reviewer")
    }
    #expect(early?.contains("needs consultation.comment-period == 0; has 1") == true, "\(early ?? "")")

    #expect(try store.tick(now: deadline.addingTimeInterval(-1)).timers.isEmpty)
    let closing = try store.tick(now: deadline)
    #expect(closing.fired.map(\.due.event) == ["close-comment-period"])
    #expect(try store.consultation("proposed-rule").state == "review")

    // Assessed after the comment period closed (at the deadline): in the order they happen.
    let assessed = deadline.addingTimeInterval(60)
    try store.fire("accept", on: EntityReference(.contribution, comments[0]), actor: "reviewer", at: assessed)
    try store.fire("accept", on: EntityReference(.contribution, comments[1]), actor: "reviewer", at: assessed)
    let unassessed = Self.refusal {
      try store.advanceConsultation("proposed-rule", event: "publish-report", actor: "agency")
    }
    #expect(unassessed?.contains("needs contributions.received == 0; has 1") == true, "\(unassessed ?? "")")
    try store.fire("reject", on: EntityReference(.contribution, comments[2]), actor: "reviewer", at: assessed)
    // The report on the comments is the consultation's own summary; it must be published first.
    let unpublished = Self.refusal {
      try store.advanceConsultation("proposed-rule", event: "publish-report", actor: "agency")
    }
    #expect(unpublished?.contains("needs summaries.published >= 1; has 0") == true, "\(unpublished ?? "")")
    try store.draftSummary(
      for: nil, in: "proposed-rule", title: "Report on the comments", body: "Two comments [#\(comments[0])].",
      actor: "agency", at: assessed)
    for (index, event) in ["submit-for-review", "approve", "publish"].enumerated() {
      try store.advanceSummary(
        for: nil, in: "proposed-rule", event: event, actor: "agency",
        at: assessed.addingTimeInterval(Double(index + 1) * 60))
    }
    // After the comment period closed (at the deadline, by tick), in the order they happen.
    try store.advanceConsultation(
      "proposed-rule", event: "publish-report", actor: "agency", at: deadline.addingTimeInterval(3_600))
    try store.advanceConsultation(
      "proposed-rule", event: "close", actor: "agency", at: deadline.addingTimeInterval(7_200))
    #expect(try store.consultation("proposed-rule").state == "closed")
    #expect(try store.tick(now: deadline.addingTimeInterval(86_400)).timers.isEmpty)
    #expect(try store.checkLog().isConsistent)
  }

  @Test("standing-expert-group: constituted, two recurring meetings minuted, an invitation lapses, mandate ends")
  func standingExpertGroup() throws {
    let db = try TestDatabase()
    let store = db.store
    let workflow = try store.resolveWorkflow(Self.file("standing-expert-group"))
    let mandateEnd = Date(timeIntervalSince1970: 1_900_000_000)
    let slug = "ai-expert-group"
    _ = try store.openConsultation(
      slug: slug, title: "Expert group on AI", owner: "A ministry", workflow: workflow, deadline: mandateEnd,
      actor: "secretariat")
    for handle in ["chair", "member-a", "member-b"] {
      _ = try store.addStakeholder(
        handle: handle, kind: .person, name: "Expert \(handle)", group: "academia", actor: "clerk")
    }
    for (index, key) in ["meeting-1", "meeting-2"].enumerated() {
      let start = mandateEnd.addingTimeInterval(Double(index - 2) * 30 * 86_400)
      try store.addWorkshop(
        key: key, to: slug, title: "Meeting \(index + 1)", venue: "Brussels", startsAt: start,
        endsAt: start.addingTimeInterval(3 * 3600), timeZone: "Europe/Brussels", chathamHouse: false, hosts: [],
        actor: "secretariat")
    }
    let meeting2Start = try store.workshop("meeting-2", in: slug).startsAt

    // Meeting 1: the members accept; the group is constituted; the meeting is held and minuted.
    try store.invite(["chair", "member-a"], to: "meeting-1", in: slug, events: ["send"], actor: "secretariat")
    let notYet = Self.refusal {
      try store.advanceWorkshop("meeting-1", in: slug, event: "schedule", actor: "secretariat")
    }
    #expect(notYet?.contains("needs consultation.active == 1; has 0") == true, "\(notYet ?? "")")
    for handle in ["chair", "member-a"] {
      try store.advanceInvitation("accept", for: handle, to: "meeting-1", in: slug, actor: "secretariat")
    }
    try store.advanceConsultation(slug, event: "constitute", actor: "secretariat")
    try Self.holdAndMinute("meeting-1", in: slug, attended: ["chair"], absent: ["member-a"], store: store)

    // Meeting 2: member-b never answers; the invitation lapses when the meeting starts.
    try store.invite(["chair", "member-b"], to: "meeting-2", in: slug, events: ["send"], actor: "secretariat")
    try store.advanceInvitation("accept", for: "chair", to: "meeting-2", in: slug, actor: "secretariat")
    #expect(try store.tick(now: meeting2Start.addingTimeInterval(-1)).timers.isEmpty)
    let lapse = try store.tick(now: meeting2Start)
    #expect(lapse.fired.map(\.due.label) == ["member-b to meeting-2"])
    #expect(lapse.fired.first?.due.timer == "at workshop.starts")
    try Self.holdAndMinute("meeting-2", in: slug, attended: ["chair"], absent: [], store: store)

    // The mandate ends at the deadline; the final report dissolves the group.
    let ending = try store.tick(now: mandateEnd)
    #expect(ending.fired.map(\.due.event) == ["end-mandate"])
    #expect(try store.consultation(slug).state == "final-report")
    try store.advanceConsultation(
      slug, event: "deliver-final-report", actor: "chair", at: mandateEnd.addingTimeInterval(86_400))
    #expect(try store.consultation(slug).state == "dissolved")
    let states = try store.invitations(to: "meeting-2", in: slug).map(\.state).sorted()
    #expect(states == ["attended", "lapsed"])
    #expect(try store.workshops(in: slug).map(\.state) == ["summarised", "summarised"])
    #expect(try store.checkLog().isConsistent)
    // The workflow calls its workshops meetings (`label: Meeting`), and so do the exports.
    let proceedings = try store.proceedings(of: slug)
    for text in [try MarkdownExporter().render(proceedings), try HTMLExporter().render(proceedings)] {
      #expect(text.contains("Meeting: Meeting 1") && text.contains("Meeting: Meeting 2"))
      #expect(!text.contains("Workshop: "))
    }
  }

  static func holdAndMinute(
    _ key: String, in slug: String, attended: [String], absent: [String], store: ConsultStore
  ) throws {
    try store.advanceWorkshop(key, in: slug, event: "schedule", actor: "secretariat")
    try store.advanceWorkshop(key, in: slug, event: "hold", actor: "secretariat")
    try store.recordAttendance(attended: attended, noShow: absent, at: key, in: slug, actor: "secretariat")
    try store.draftSummary(for: key, in: slug, title: "Minutes", body: "The group discussed.", actor: "secretariat")
    try store.advanceSummary(for: key, in: slug, event: "approve", actor: "chair")
    try store.advanceSummary(for: key, in: slug, event: "publish", actor: "secretariat")
    try store.advanceWorkshop(key, in: slug, event: "summarise", actor: "secretariat")
  }
}
