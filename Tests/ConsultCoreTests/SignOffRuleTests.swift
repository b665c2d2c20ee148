import ConsultCore
import Testing

/// `sign-off:` in a workflow file: who approves the draft and which draft event makes it final.
@Suite("Workflow sign-off")
struct SignOffRuleTests {
  static func yaml(signOff: String, draft: Bool = true) -> String {
    """
    workflow: w
    version: 1
    title: W
    \(signOff)
    machines:
      consultation:
        initial: open
        states:
          open: {}
          closed: { final: true }
        transitions:
          - { event: close, from: open, to: closed }
    \(draft ? """
      draft:
        initial: drafting
        states:
          drafting: {}
          final: { final: true }
        transitions:
          - { event: finalise, from: drafting, to: final, guard: "comments.open == 0" }
      comment:
        initial: open
        states:
          open: {}
          closed: { final: true }
        transitions:
          - { event: close, from: open, to: closed }
    """ : "")
    """
  }

  @Test func readsApproversAndEvent() throws {
    let definition = try WorkflowDefinition.parse(
      yaml: Self.yaml(signOff: "sign-off: { approvers: [workshop-hosts, bmvg], event: finalise }"), file: "w.yaml")
    #expect(definition.signOff == SignOffRule(approvers: [.workshopHosts, .stakeholder("bmvg")], event: "finalise"))
    #expect(definition.signOff?.approvers.map(\.description) == ["workshop-hosts", "bmvg"])
  }

  @Test(arguments: [
    (
      "sign-off: { approvers: [bmvg], event: publish }",
      "event 'publish' of 'sign-off' is not an event of machine 'draft'"
    ),
    ("sign-off: { approvers: [], event: finalise }", "'approvers' of 'sign-off' must be a non-empty list"),
    (
      "sign-off: { approvers: [Not A Handle], event: finalise }",
      "an approver in 'sign-off' must be 'workshop-hosts' or a stakeholder handle"
    ),
    ("sign-off: { approvers: [bmvg], event: finalise, who: x }", "unknown key 'who' in 'sign-off'"),
  ])
  func badSignOffIsReportedWithItsLine(signOff: String, message: String) throws {
    let error = #expect(throws: WorkflowError.self) {
      try WorkflowDefinition.parse(yaml: Self.yaml(signOff: signOff), file: "w.yaml")
    }
    #expect(
      error?.issues.contains { $0.line == 4 && $0.message.hasPrefix(message) } == true, "\(String(describing: error))")
  }

  @Test func signOffNeedsADraftMachine() throws {
    let error = #expect(throws: WorkflowError.self) {
      try WorkflowDefinition.parse(
        yaml: Self.yaml(signOff: "sign-off: { approvers: [bmvg], event: finalise }", draft: false), file: "w.yaml")
    }
    #expect(error?.issues.map(\.message) == ["'sign-off' needs a 'draft' machine declaring its event 'finalise'"])
  }
}
