import ConsultCore
import Testing

/// The lint checks added for `consult workflow validate`: duplicate keys and overlapping guards.
@Suite("Workflow lint: duplicate keys, overlapping guards")
struct WorkflowLintTests {
  /// Parses `yaml`, expecting failure; returns the issues as `line:column: message`.
  func issues(_ yaml: String) -> [String] {
    do {
      _ = try WorkflowDefinition.parse(yaml: yaml, file: "lint.yaml")
      Issue.record("parsed without error")
      return []
    } catch {
      return error.issues.map { "\($0.line):\($0.column): \($0.message)" }
    }
  }

  /// The base workflow with `transitions` as the consultation machine's transitions.
  func workflow(transitions: String) -> String {
    minimalWorkflow(transitions: "", extraStates: ["cancelled: { final: true }"]) + transitions
  }

  // MARK: - Duplicate keys

  @Test func yamsRefusesRepeatedKeysAndEachIsReported() {
    let found = issues(
      """
      workflow: test
      version: 1
      title: Test
      machines:
        consultation:
          initial: open
          initial: closed
          states:
            open: {}
            closed: { final: true }
          states: {}
      """)
    #expect(found.count == 2)
    #expect(found.allSatisfy { $0.hasPrefix("6:5: duplicate key '") })
    #expect(found.contains { $0.contains("duplicate key 'initial' in a mapping") })
    #expect(found.contains { $0.contains("duplicate key 'states' in the same mapping as 'initial'") })
  }

  @Test func keysEqualInTextButNotInTagAreFoundByTheWalk() {
    // Yams keeps both (`1` is an integer, `"1"` a string); the loader reads keys by text.
    let found = issues(
      """
      workflow: test
      version: 1
      title: Test
      machines:
        consultation:
          initial: "1"
          states:
            1: {}
            "1": { final: true }
            closed: { final: true }
          transitions:
            - { event: close, from: "1", to: closed }
      """)
    #expect(found.contains("9:7: duplicate key '1' in a mapping (first at line 8, column 7)"), "\(found)")
  }

  /// `'to'` and `to` are both strings: Yams refuses the document at the first occurrence.
  @Test func nestedDuplicatesInSequencesAreFound() {
    let found = issues(
      workflow(
        transitions: """
              - event: close
                from: open
                to: closed
                'to': cancelled
          """))
    #expect(found.count == 1, "\(found)")
    #expect(found.first?.hasPrefix("14:7: duplicate key 'to' in a mapping: it is used again later") == true, "\(found)")
  }

  // MARK: - The same event twice from the same state

  @Test func disjointEqualityGuardsAreAllowedAndDecideBetweenThem() throws {
    let yaml = workflow(
      transitions: """
            - event: finish
              from: open
              to: closed
              guard: "invitations == 1"
            - event: finish
              from: open
              to: cancelled
              guard: "invitations == 0"
        """)
    let machine = try WorkflowDefinition.parse(yaml: yaml, file: "ok.yaml").machine(for: .consultation)
    let sent = FactReference(relation: .invitations)
    #expect(machine.transitions(for: "finish", from: "open").count == 2)
    #expect(try machine.decide(state: "open", event: "finish", facts: [sent: 0]).get().to == "cancelled")
    #expect(try machine.decide(state: "open", event: "finish", facts: [sent: 1]).get().to == "closed")
    // Neither holds: the first declared transition's failures are reported.
    guard case .failure(let refusal) = machine.decide(state: "open", event: "finish", facts: [sent: 5]) else {
      Issue.record("expected a refusal")
      return
    }
    #expect(refusal.description.contains("needs invitations == 1; has 5"))
    let option = machine.options(state: "open", facts: [sent: 0]).first { $0.event == "finish" }
    #expect(option?.target == "cancelled")
    #expect(option?.status == .possible)
  }

  @Test func disjointRangesAreAllowed() throws {
    let yaml = workflow(
      transitions: """
            - event: finish
              from: open
              to: closed
              guard: "contributions >= 3 and workshops == 1"
            - event: finish
              from: open
              to: cancelled
              guard: "contributions < 3"
            - event: cancel
              from: open
              to: cancelled
        """)
    #expect(throws: Never.self) { try WorkflowDefinition.parse(yaml: yaml, file: "ok.yaml") }
  }

  struct Overlap: Sendable, CustomTestStringConvertible {
    var name: String
    var first: String?
    var second: String?
    var testDescription: String { name }
  }

  static let overlaps: [Overlap] = [
    Overlap(name: "no guards", first: nil, second: nil),
    Overlap(name: "one guard missing", first: "invitations == 0", second: nil),
    Overlap(name: "different facts", first: "invitations == 0", second: "workshops == 1"),
    Overlap(name: "overlapping ranges", first: "invitations >= 3", second: "invitations > 1"),
    Overlap(name: "equal guards", first: "workshops == 2", second: "workshops == 2"),
  ]

  @Test(arguments: overlaps)
  func overlappingGuardsAreReported(_ overlap: Overlap) {
    let guardLine = { (text: String?) in text.map { "\n      guard: \"\($0)\"" } ?? "" }
    let found = issues(
      workflow(
        transitions: """
              - event: finish
                from: open
                to: closed\(guardLine(overlap.first))
              - event: finish
                from: [cancelled, open]
                to: cancelled\(guardLine(overlap.second))
          """))
    let expected =
      "event 'finish' is declared twice from state 'open' in machine 'consultation' (first at line 13) "
      + "with overlapping guards"
    #expect(found.filter { $0.contains(expected) }.count == 1, "\(found)")
    // Also: 'cancelled' is final and has an outgoing transition.
    #expect(found.contains { $0.contains("final state 'cancelled'") })
  }

  @Test func aBadGuardIsReportedOnceNotAsAnOverlap() {
    let found = issues(
      workflow(
        transitions: """
              - event: finish
                from: open
                to: closed
                guard: "invitations =< 1"
              - event: finish
                from: open
                to: cancelled
                guard: "invitations == 0"
          """))
    #expect(found.count == 1, "\(found)")
    #expect(found.first?.contains("unknown operator '=<'") == true)
  }

  // MARK: - The disjointness rule itself

  @Test(arguments: [
    ("workshops == 0", "workshops == 1", true),
    ("workshops == 1", "workshops == 1", false),
    ("workshops >= 3", "workshops < 3", true),
    ("workshops >= 3", "workshops <= 3", false),
    ("workshops > 3", "workshops <= 3", true),
    ("workshops == 2", "workshops != 2", true),
    ("workshops >= 2 and workshops <= 2", "workshops != 2", true),
    ("workshops >= 1 and workshops <= 3", "workshops != 2", false),
    ("workshops < 0", "invitations == 1", false),  // no shared fact: not provably disjoint
    ("workshops == 0 and invitations >= 1", "invitations == 0", true),
    ("workshops == 0 and invitations >= 1", "workshops >= 1 and invitations == 1", true),
    ("workshops.held == 0", "workshops == 0", false),  // different facts
  ])
  func disjointness(_ first: String, _ second: String, _ disjoint: Bool) throws {
    let a = try GuardExpression.parse(first, for: .consultation)
    let b = try GuardExpression.parse(second, for: .consultation)
    #expect(a.isDisjoint(from: b) == disjoint)
    #expect(b.isDisjoint(from: a) == disjoint)
  }
}
