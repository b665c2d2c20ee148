import ConsultCore
import Foundation
import Testing

/// Timers in the definition format: durations, date fields, and their lint.
@Suite("Workflow timers")
struct TimerTests {
  @Test(
    "ISO 8601 durations",
    arguments: [
      ("P14D", [0, 0, 0, 14, 0, 0, 0]), ("PT48H", [0, 0, 0, 0, 48, 0, 0]), ("P1Y2M", [1, 2, 0, 0, 0, 0, 0]),
      ("P2W", [0, 0, 2, 0, 0, 0, 0]), ("P1DT12H30M5S", [0, 0, 0, 1, 12, 30, 5]), ("PT0S", [0, 0, 0, 0, 0, 0, 0]),
      ("P1MT1M", [0, 1, 0, 0, 0, 1, 0]),
    ])
  func durations(text: String, parts: [Int]) throws {
    let d = try #require(ISODuration(text))
    #expect([d.years, d.months, d.weeks, d.days, d.hours, d.minutes, d.seconds] == parts)
    #expect(d.description == text)
  }

  @Test(
    "malformed durations are refused",
    arguments: [
      "", "P", "PT", "14D", "P14", "P1.5D", "P-1D", "P1D2M", "P1H", "PT1D", "P1DT", "P1D1D", "PT1S1M", "p1d",
      "P1Y T1H", "P12345678D", "P0001-02-03", "PT1HT1M",
    ])
  func malformed(text: String) {
    #expect(ISODuration(text) == nil)
  }

  @Test("date fields by machine")
  func fields() {
    #expect(DateField.fields(for: .consultation) == [.consultationDeadline, .consultationOpened])
    #expect(DateField.fields(for: .invitation).contains(.workshopStarts))
  }

  static func workflow(_ transitions: String) -> String {
    minimalWorkflow(transitions: transitions)
  }

  @Test("timers are parsed onto their transitions")
  func parsed() throws {
    let definition = try WorkflowDefinition.parse(
      yaml: Self.workflow(
        """
            - { event: close, from: open, to: closed, at: consultation.deadline }
            - { event: expire, from: open, to: closed, after: P30D }
            - { event: end, from: open, to: closed }
        """), file: "t.yaml")
    let machine = try definition.machine(for: .consultation)
    #expect(machine.transitions.map(\.timer) == [.at(.consultationDeadline), .after(ISODuration("P30D")!), nil])
    #expect(machine.timedTransitions.map(\.event) == ["close", "expire"])
  }

  struct Case: Sendable, CustomTestStringConvertible {
    var name: String
    var transitions: String
    var fragment: String
    var line: Int
    var column: Int
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(
      name: "malformed duration", transitions: "    - { event: close, from: open, to: closed, after: P2X }",
      fragment: "malformed duration 'P2X' in 'after' of transition 'close'", line: 11, column: 54),
    Case(
      name: "duration that is a number", transitions: "    - { event: close, from: open, to: closed, after: 14 }",
      fragment: "malformed duration '14'", line: 11, column: 54),
    Case(
      name: "unknown date field",
      transitions: "    - { event: close, from: open, to: closed, at: consultation.dedline }",
      fragment: "unknown date field 'consultation.dedline' in 'at' of transition 'close'", line: 11, column: 51),
    Case(
      name: "date field the machine cannot read",
      transitions: "    - { event: close, from: open, to: closed, at: workshop.starts }",
      fragment: "unknown date field 'workshop.starts' for machine 'consultation'", line: 11, column: 51),
    Case(
      name: "both after and at",
      transitions: "    - { event: close, from: open, to: closed, after: P1D, at: consultation.deadline }",
      fragment: "has both 'after' and 'at'", line: 11, column: 59),
    Case(
      name: "timer from a final state",
      transitions: """
            - { event: close, from: open, to: closed }
            - { event: reopen, from: closed, to: open, after: P1D }
        """,
      fragment: "timer of transition 'reopen' of machine 'consultation' can never fire: final state 'closed'",
      line: 12, column: 55),
    Case(
      name: "missing timer value", transitions: "    - { event: close, from: open, to: closed, at: }",
      fragment: "missing or ill-typed value for 'at'", line: 11, column: 47),
  ]

  @Test("malformed timers are reported with file:line:column", arguments: cases)
  func lint(_ testCase: Case) throws {
    do throws(WorkflowError) {
      _ = try WorkflowDefinition.parse(yaml: Self.workflow(testCase.transitions), file: "t.yaml")
      Issue.record("expected an error containing '\(testCase.fragment)'")
    } catch {
      let issue = error.issues.first { $0.message.contains(testCase.fragment) }
      #expect(issue != nil, "\(error.description)")
      #expect(issue?.line == testCase.line, "\(error.description)")
      #expect(issue?.column == testCase.column, "\(error.description)")
      #expect(issue?.file == "t.yaml")
    }
  }
}

/// The three shipped workflows validate and carry the timers their processes need.
@Suite("Shipped workflows")
struct ShippedWorkflowsTests {
  static func load(_ name: String) throws -> WorkflowDefinition {
    let path = URL(fileURLWithPath: Shipped.path).deletingLastPathComponent().appendingPathComponent("\(name).yaml")
    return try WorkflowDefinition.parse(yaml: String(contentsOf: path, encoding: .utf8), file: "\(name).yaml")
  }

  @Test("every shipped workflow validates", arguments: ["white-paper", "notice-and-comment", "standing-expert-group"])
  func validates(name: String) throws {
    let definition = try Self.load(name)
    #expect(definition.name == name)
    #expect(definition.description?.isEmpty == false)
  }

  @Test("white-paper: the participation phase closes at the deadline; invitations expire after 21 days")
  func whitePaperTimers() throws {
    let definition = try Self.load("white-paper")
    let consultation = try definition.machine(for: .consultation)
    #expect(consultation.timedTransitions.map(\.event) == ["close-participation"])
    #expect(consultation.timedTransitions.first?.timer == .at(.consultationDeadline))
    let invitation = try definition.machine(for: .invitation)
    #expect(invitation.timedTransitions.first?.timer == .after(ISODuration("P21D")!))
    #expect(invitation.timedTransitions.first?.from == ["sent", "tentative"])
  }

  @Test("notice-and-comment: the comment period closes at the deadline; a report follows the review")
  func noticeAndComment() throws {
    let definition = try Self.load("notice-and-comment")
    #expect(Set(definition.machines.keys) == [.consultation, .contribution, .proceedingsSummary])
    #expect(definition.summaryTitle == "Report on the comments")
    let machine = try definition.machine(for: .consultation)
    #expect(machine.initialState == "notice-drafting")
    let close = try #require(machine.transition(for: "close-comment-period", from: "comment-period"))
    #expect(close.timer == .at(.consultationDeadline))
    #expect(close.to == "review")
    // The report waits until every comment is assessed.
    let review = machine.decide(
      state: "review", event: "publish-report", facts: try facts(.consultation, ["contributions.received": 2]))
    guard case .failure(let refusal) = review else {
      Issue.record("expected a refusal")
      return
    }
    #expect(refusal.description.contains("needs contributions.received == 0; has 2"))
    #expect(machine.isFinal("closed") && machine.isFinal("cancelled"))
  }

  @Test("standing-expert-group: the mandate ends at the deadline; meeting invitations lapse at the meeting")
  func standingExpertGroup() throws {
    let definition = try Self.load("standing-expert-group")
    // Every machine but drafting's: a standing group publishes no paper.
    #expect(Set(definition.machines.keys) == Set(EntityKind.allCases).subtracting([.draft, .comment]))
    let consultation = try definition.machine(for: .consultation)
    #expect(consultation.timedTransitions.map(\.event) == ["end-mandate"])
    let invitation = try definition.machine(for: .invitation)
    #expect(invitation.timedTransitions.first?.timer == .at(.workshopStarts))
  }
}
