import ConsultCore
import Testing

/// Validation of workflow files: every rule, located by line (and, for guards, column).
@Suite("Malformed workflow files")
struct MalformedWorkflowTests {
  /// The smallest valid workflow; the cases below are edits of it.
  static let valid = """
    workflow: test
    version: 1
    title: Test
    machines:
      consultation:
        initial: open
        states:
          open: {}
          closed: { final: true }
        transitions:
          - event: close
            from: open
            to: closed
    """

  struct Case: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String
    var fragment: String
    var line: Int
    var column: Int? = nil
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(
      name: "YAML syntax error: unclosed flow sequence",
      yaml: """
        workflow: test
        version: 1
        title: Test
        machines:
          consultation: { initial: open, states: [ }
        """,
      fragment: "YAML syntax error", line: 5),
    Case(
      name: "YAML syntax error: bad indentation",
      yaml: """
        workflow: test
        version: 1
         title: Test
        """,
      fragment: "YAML syntax error: mapping values are not allowed", line: 3),
    Case(name: "empty file", yaml: "", fragment: "the file is empty", line: 1),
    Case(
      name: "top level is a list", yaml: "- workflow: test\n",
      fragment: "the top level must be a mapping", line: 1),
    Case(
      name: "duplicate key",
      yaml: """
        workflow: test
        version: 1
        title: Test
        machines:
          consultation:
            initial: open
            states:
              open: {}
              open: {}
        """,
      fragment: "duplicate key 'open'", line: 8),
    Case(
      name: "missing title",
      yaml: """
        workflow: test
        version: 1
        machines:
          consultation:
            initial: open
            states:
              open: {}
              closed: { final: true }
            transitions:
              - event: close
                from: open
                to: closed
        """,
      fragment: "missing key 'title' in the workflow file", line: 1),
    Case(
      name: "bad workflow name",
      yaml: valid.replacingFirst("workflow: test", with: "workflow: White Paper"),
      fragment: "workflow name 'White Paper' must match [a-z0-9-]+", line: 1, column: 11),
    Case(
      name: "version is a mapping",
      yaml: valid.replacingFirst("version: 1", with: "version: { major: 1 }"),
      fragment: "'version' in the workflow file must be a string, found a mapping", line: 2),
    Case(
      name: "unknown top-level key",
      yaml: valid.replacingFirst("title: Test", with: "title: Test\ntitel: Test"),
      fragment: "unknown key 'titel' in the top level", line: 4),
    Case(
      name: "machines is a list",
      yaml: """
        workflow: test
        version: 1
        title: Test
        machines: [consultation]
        """,
      fragment: "'machines' must be a mapping from entity kind to machine, found a list", line: 4),
    Case(
      name: "unknown machine kind",
      yaml: valid + """

          meeting:
            initial: open
        """,
      fragment: "unknown machine kind 'meeting'", line: 14),
    Case(
      name: "missing consultation machine",
      yaml: valid.replacingFirst("consultation:", with: "contribution:"),
      fragment: "missing machine 'consultation'", line: 4),
    Case(
      name: "missing initial",
      yaml: valid.replacingFirst("    initial: open\n", with: ""),
      fragment: "missing key 'initial' in machine 'consultation'", line: 6),
    Case(
      name: "initial not declared",
      yaml: valid.replacingFirst("initial: open", with: "initial: start"),
      fragment: "initial state 'start' of machine 'consultation' is not declared in its states",
      line: 6, column: 14),
    Case(
      name: "state description not a string",
      yaml: valid.replacingFirst("open: {}", with: "open: { description: [a, b] }"),
      fragment:
        "'description' in state 'open' of machine 'consultation' must be a string, found a list",
      line: 8),
    Case(
      name: "final is not a boolean",
      yaml: valid.replacingFirst("final: true", with: "final: maybe"),
      fragment: "'final' of state 'closed' of machine 'consultation' must be true or false", line: 9
    ),
    Case(
      name: "unknown machine key",
      yaml: valid.replacingFirst("transitions:", with: "transitons:"),
      fragment: "unknown key 'transitons' in machine 'consultation'", line: 10),
    Case(
      name: "transitions is a mapping",
      yaml: valid.replacingFirst(
        "transitions:", with: "transitions: { close: closed }\n    x-transitions:"),
      fragment: "'transitions' of machine 'consultation' must be a list, found a mapping", line: 10),
    Case(
      name: "transition from an unknown state",
      yaml: valid.replacingFirst("from: open", with: "from: nowhere"),
      fragment: "transition 'close' of machine 'consultation' comes from unknown state 'nowhere'",
      line: 12),
    Case(
      name: "transition to an unknown state",
      yaml: valid.replacingFirst("to: closed", with: "to: elsewhere"),
      fragment: "transition 'close' of machine 'consultation' goes to unknown state 'elsewhere'",
      line: 13),
    Case(
      name: "transition from an empty list",
      yaml: valid.replacingFirst("from: open", with: "from: []"),
      fragment: "'from' of transition 'close' of machine 'consultation' is an empty list", line: 12),
    Case(
      name: "transition without to",
      yaml: valid.replacingFirst("        to: closed", with: "        description: nowhere to go"),
      fragment: "missing key 'to' in transition 'close' of machine 'consultation'", line: 11),
    Case(
      name: "final state with an outgoing transition",
      yaml: valid + """

              - event: reopen
                from: [open, closed]
                to: open
        """,
      fragment:
        "final state 'closed' of machine 'consultation' cannot have outgoing transitions (transition 'reopen')",
      line: 15, column: 22),
    Case(
      name: "unreachable state",
      yaml: valid.replacingFirst("open: {}", with: "open: {}\n      limbo: {}") + """

              - event: leave-limbo
                from: limbo
                to: closed
        """,
      fragment: "state 'limbo' of machine 'consultation' is unreachable from initial state 'open'",
      line: 9),
    Case(
      name: "non-final state without a transition out",
      yaml: valid.replacingFirst("open: {}", with: "open: {}\n      stuck: {}") + """

              - event: stall
                from: open
                to: stuck
        """,
      fragment:
        "non-final state 'stuck' of machine 'consultation' has no way out: no transition leaves it",
      line: 9),
    Case(
      name: "non-final states that cannot reach a final state",
      yaml: valid.replacingFirst("open: {}", with: "open: {}\n      ping: {}\n      pong: {}") + """

              - event: serve
                from: open
                to: ping
              - event: return
                from: ping
                to: pong
              - event: return-again
                from: pong
                to: ping
        """,
      fragment:
        "non-final state 'pong' of machine 'consultation' has no way out: no final state can be reached from it",
      line: 10),
    Case(
      name: "machine without a final state",
      yaml: valid.replacingFirst("closed: { final: true }", with: "closed: {}") + """

              - event: reopen
                from: closed
                to: open
        """,
      fragment: "machine 'consultation' has no final state", line: 7),
    Case(
      name: "same event twice from the same state",
      yaml: valid + """

              - event: close
                from: [closed, open]
                to: open
        """,
      fragment:
        "event 'close' is declared twice from state 'open' in machine 'consultation' (first at line 12)",
      line: 15, column: 24),
    Case(
      name: "bad state name",
      yaml: valid.replacingFirst("open: {}", with: "Open_State: {}").replacingFirst(
        "initial: open", with: "initial: Open_State"
      )
      .replacingFirst("from: open", with: "from: Open_State"),
      fragment: "state name 'Open_State' in machine 'consultation' must match [a-z0-9-]+", line: 8),
    Case(
      name: "guard syntax error",
      yaml: valid + "\n        guard: \"invitations.sent >= many\"",
      fragment:
        "bad guard of transition 'close' of machine 'consultation': expected an integer after '>=', found 'many'",
      line: 14, column: 37),
    Case(
      name: "guard with a bad operator",
      yaml: valid + "\n        guard: invitations.sent =< 1",
      fragment: "unknown operator '=<'", line: 14, column: 33),
    Case(
      name: "guard with an unknown relation",
      yaml: valid + "\n        guard: 'invitations.sent >= 1 and speakers >= 2'",
      fragment:
        "unknown relation 'speakers' for consultation guards; known: workshops, invitations, contributions, summaries",
      line: 14, column: 43),
    Case(
      name: "guard with an unknown state",
      yaml: valid + """

          contribution:
            initial: received
            states:
              received: {}
              done: { final: true }
            transitions:
              - event: accept
                from: received
                to: done
                guard: "consultation.finished == 0"
        """,
      fragment:
        "unknown state 'finished' in 'consultation.finished'; states of consultation: open, closed",
      line: 23, column: 17),
    Case(
      name: "guard reading a machine the file does not declare",
      yaml: valid + "\n        guard: workshops.held == 0",
      fragment: "'workshops.held' reads the workshop machine, which this workflow does not declare",
      line: 14, column: 16),
  ]

  @Test func theValidBaseParses() throws {
    let workflow = try WorkflowDefinition.parse(yaml: Self.valid, file: "test.yaml")
    #expect(workflow.name == "test")
    #expect(workflow.version == "1")
    #expect(workflow.description == nil)
    #expect(Set(workflow.machines.keys) == [.consultation])
    let machine = try workflow.machine(for: .consultation)
    #expect(machine.transitions == [Transition(event: "close", from: ["open"], to: "closed")])
    #expect(
      machine.states == [
        StateDeclaration(name: "open"), StateDeclaration(name: "closed", isFinal: true),
      ])
  }

  @Test(arguments: cases)
  func reportsTheProblemWhereItIs(_ bad: Case) {
    do {
      _ = try WorkflowDefinition.parse(yaml: bad.yaml, file: "bad.yaml")
      Issue.record("\(bad.name): parsed without error")
    } catch {
      let matching = error.issues.filter { $0.message.contains(bad.fragment) }
      #expect(matching.count == 1, "\(bad.name): \(error)")
      guard let issue = matching.first else { return }
      #expect(issue.file == "bad.yaml")
      #expect(issue.line == bad.line, "\(bad.name): \(issue)")
      if let column = bad.column {
        #expect(issue.column == column, "\(bad.name): \(issue)")
      }
      #expect(
        error.description.contains(
          "bad.yaml:\(issue.line):\(issue.column): error: \(issue.message)"))
    }
  }

  /// Every independent problem is reported, in file order; graph findings that would only echo
  /// a broken state or transition (here: 'open' cannot reach 'closed' via unknown 'shut') are not.
  @Test func reportsEveryProblemInFileOrder() {
    let yaml = """
      workflow: test
      version: 1
      title: Test
      machines:
        consultation:
          initial: start
          states:
            open: {}
            closed: { final: true }
          transitions:
            - event: close
              from: open
              to: shut
              guard: "invitations.sent >> 1"
        meeting: {}
      """
    do {
      _ = try WorkflowDefinition.parse(yaml: yaml, file: "many.yaml")
      Issue.record("parsed without error")
    } catch {
      #expect(
        error.issues.map { "\($0.line): \($0.message)" } == [
          "6: initial state 'start' of machine 'consultation' is not declared in its states",
          "13: transition 'close' of machine 'consultation' goes to unknown state 'shut'",
          "14: bad guard of transition 'close' of machine 'consultation': unknown operator '>>'; use one of >=, >, <=, <, ==, !=",
          "15: unknown machine kind 'meeting'; expected one of: consultation, invitation, workshop, contribution, proceedings-summary, draft, comment",
        ])
      #expect(error.description.split(separator: "\n").count == error.issues.count)
      #expect(error.description.hasPrefix("many.yaml:6:14: error: initial state 'start'"))
    }
  }

  @Test func askingForAnUndeclaredMachineThrows() throws {
    let workflow = try WorkflowDefinition.parse(yaml: Self.valid, file: "test.yaml")
    #expect {
      _ = try workflow.machine(for: .workshop)
    } throws: { error in
      guard let error = error as? WorkflowError, let issue = error.issues.first else {
        return false
      }
      return issue.message == "workflow 'test' has no machine for 'workshop'" && issue.line == 4
        && error.description
          == "test.yaml:4:1: error: workflow 'test' has no machine for 'workshop'"
    }
  }

  @Test func acceptsStringVersionsNullStateBodiesAndSingleFromStates() throws {
    let yaml = """
      workflow: w-2
      version: "2016.1"
      title: Test
      description: A test.
      machines:
        consultation:
          description: The process.
          initial: open
          states:
            open:
            closed: { final: yes, description: Done. }
          transitions:
            - { event: close, from: [open], to: closed, guard: "invitations >= 0", description: Close. }
      """
    let workflow = try WorkflowDefinition.parse(yaml: yaml, file: "ok.yaml")
    #expect(workflow.version == "2016.1")
    #expect(workflow.description == "A test.")
    let machine = try workflow.machine(for: .consultation)
    #expect(machine.description == "The process.")
    #expect(machine.isFinal("closed"))
    #expect(machine.state(named: "closed")?.description == "Done.")
    #expect(machine.transitions.first?.guardExpression?.description == "invitations >= 0")
    #expect(machine.requiredFacts == [FactReference(relation: .invitations)])
  }
}

extension String {
  /// This text with the first occurrence of `target` replaced (test fixtures only).
  func replacingFirst(_ target: String, with replacement: String) -> String {
    guard let range = range(of: target) else { return self }
    return replacingCharacters(in: range, with: replacement)
  }
}
