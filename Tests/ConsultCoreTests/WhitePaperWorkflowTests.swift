import ConsultCore
import Testing

/// The shipped `Workflows/white-paper.yaml`: its content, pinned, and every decision it yields.
@Suite("Shipped white-paper workflow")
struct WhitePaperWorkflowTests {
  /// One declared move: `event` from `from` leads to `to`.
  struct Move: Hashable, CustomStringConvertible {
    var from: String
    var event: String
    var to: String
    var description: String { "\(from) -\(event)-> \(to)" }
  }

  /// The expected content of the shipped file, spelled out: states (final ones marked), and
  /// every (from, event) -> to. Changing the file means changing this table, deliberately.
  static let expected: [EntityKind: (initial: String, states: [String], finals: Set<String>, moves: [Move])] = [
    .consultation: (
      "preparation",
      [
        "preparation", "participatory-phase", "synthesis", "drafting", "coordination", "adoption",
        "publication",
        "closed", "cancelled",
      ],
      ["closed", "cancelled"],
      [
        Move(from: "preparation", event: "open-participation", to: "participatory-phase"),
        Move(from: "participatory-phase", event: "close-participation", to: "synthesis"),
        Move(from: "synthesis", event: "begin-drafting", to: "drafting"),
        Move(from: "drafting", event: "begin-coordination", to: "coordination"),
        Move(from: "coordination", event: "return-to-drafting", to: "drafting"),
        Move(from: "coordination", event: "submit-for-adoption", to: "adoption"),
        Move(from: "adoption", event: "adopt", to: "publication"),
        Move(from: "publication", event: "publish", to: "closed"),
      ]
        + [
          "preparation", "participatory-phase", "synthesis", "drafting", "coordination",
          "adoption", "publication",
        ]
        .map { Move(from: $0, event: "cancel", to: "cancelled") }
    ),
    .invitation: (
      "draft",
      [
        "draft", "sent", "accepted", "tentative", "declined", "attended", "no-show", "withdrawn",
        "expired",
      ],
      ["attended", "no-show", "withdrawn", "expired"],
      [
        Move(from: "draft", event: "send", to: "sent"),
        Move(from: "sent", event: "accept", to: "accepted"),
        Move(from: "tentative", event: "accept", to: "accepted"),
        Move(from: "declined", event: "accept", to: "accepted"),
        Move(from: "sent", event: "tentative", to: "tentative"),
        Move(from: "accepted", event: "tentative", to: "tentative"),
        Move(from: "declined", event: "tentative", to: "tentative"),
        Move(from: "sent", event: "decline", to: "declined"),
        Move(from: "accepted", event: "decline", to: "declined"),
        Move(from: "tentative", event: "decline", to: "declined"),
        Move(from: "accepted", event: "attend", to: "attended"),
        Move(from: "tentative", event: "attend", to: "attended"),
        Move(from: "accepted", event: "no-show", to: "no-show"),
        Move(from: "tentative", event: "no-show", to: "no-show"),
        Move(from: "draft", event: "withdraw", to: "withdrawn"),
        Move(from: "sent", event: "withdraw", to: "withdrawn"),
        Move(from: "accepted", event: "withdraw", to: "withdrawn"),
        Move(from: "tentative", event: "withdraw", to: "withdrawn"),
        Move(from: "sent", event: "expire", to: "expired"),
        Move(from: "tentative", event: "expire", to: "expired"),
      ]
    ),
    .workshop: (
      "planned",
      ["planned", "scheduled", "held", "summarised", "cancelled"],
      ["summarised", "cancelled"],
      [
        Move(from: "planned", event: "schedule", to: "scheduled"),
        Move(from: "scheduled", event: "postpone", to: "planned"),
        Move(from: "scheduled", event: "hold", to: "held"),
        Move(from: "held", event: "summarise", to: "summarised"),
        Move(from: "planned", event: "cancel", to: "cancelled"),
        Move(from: "scheduled", event: "cancel", to: "cancelled"),
      ]
    ),
    .proceedingsSummary: (
      "drafting",
      ["drafting", "in-review", "approved", "published", "withdrawn"],
      ["published", "withdrawn"],
      [
        Move(from: "drafting", event: "submit-for-review", to: "in-review"),
        Move(from: "in-review", event: "request-changes", to: "drafting"),
        Move(from: "in-review", event: "approve", to: "approved"),
        Move(from: "approved", event: "publish", to: "published"),
        Move(from: "drafting", event: "withdraw", to: "withdrawn"),
        Move(from: "in-review", event: "withdraw", to: "withdrawn"),
        Move(from: "approved", event: "withdraw", to: "withdrawn"),
      ]
    ),
    .draft: (
      "drafting",
      ["drafting", "final", "withdrawn"],
      ["final", "withdrawn"],
      [
        Move(from: "drafting", event: "finalise", to: "final"),
        Move(from: "drafting", event: "withdraw", to: "withdrawn"),
      ]
    ),
    .comment: (
      "open",
      ["open", "accepted", "partly-accepted", "rejected", "noted", "closed"],
      ["closed"],
      [
        Move(from: "open", event: "accept", to: "accepted"),
        Move(from: "open", event: "partly-accept", to: "partly-accepted"),
        Move(from: "open", event: "reject", to: "rejected"),
        Move(from: "open", event: "note", to: "noted"),
        Move(from: "accepted", event: "reopen", to: "open"),
        Move(from: "partly-accepted", event: "reopen", to: "open"),
        Move(from: "rejected", event: "reopen", to: "open"),
        Move(from: "noted", event: "reopen", to: "open"),
        Move(from: "accepted", event: "close", to: "closed"),
        Move(from: "partly-accepted", event: "close", to: "closed"),
        Move(from: "rejected", event: "close", to: "closed"),
        Move(from: "noted", event: "close", to: "closed"),
      ]
    ),
    .contribution: (
      "received",
      ["received", "accepted", "rejected"],
      ["accepted", "rejected"],
      [
        Move(from: "received", event: "accept", to: "accepted"),
        Move(from: "received", event: "reject", to: "rejected"),
      ]
    ),
  ]

  @Test func parsesWithHeader() throws {
    let workflow = try Shipped.workflow()
    #expect(workflow.name == "white-paper")
    #expect(workflow.version == "3")
    #expect(workflow.signOff == SignOffRule(approvers: [.workshopHosts], event: "finalise"))
    #expect(workflow.title == "Expert white-paper consultation")
    #expect(workflow.description?.isEmpty == false)
    #expect(Set(workflow.machines.keys) == Set(EntityKind.allCases))
  }

  @Test(arguments: EntityKind.allCases)
  func contentMatchesTheTable(kind: EntityKind) throws {
    let machine = try Shipped.workflow().machine(for: kind)
    let expected = try #require(Self.expected[kind])
    #expect(machine.kind == kind)
    #expect(machine.initialState == expected.initial)
    #expect(machine.states.map(\.name) == expected.states)
    #expect(Set(machine.states.filter(\.isFinal).map(\.name)) == expected.finals)
    let declared = machine.transitions.flatMap { t in
      t.from.map { Move(from: $0, event: t.event, to: t.to) }
    }
    #expect(Set(declared) == Set(expected.moves))
    #expect(declared.count == expected.moves.count)
    for state in machine.states {
      #expect(state.description?.isEmpty == false, "state \(state.name) has a description")
      #expect(machine.isFinal(state.name) == expected.finals.contains(state.name))
      #expect(machine.hasState(state.name))
    }
    for transition in machine.transitions {
      #expect(
        transition.description?.isEmpty == false, "transition \(transition.event) has a description"
      )
    }
    #expect(!machine.hasState("no-such-state"))
    #expect(!machine.isFinal("no-such-state"))
  }

  /// Every (state, event) pair, under facts that pass, fail and ignore the guard: either the
  /// declared transition, or a refusal whose reason is exact and whose allowed events are
  /// exactly the possible options.
  @Test(arguments: EntityKind.allCases)
  func everyStateEventPairIsDecidedConsistently(kind: EntityKind) throws {
    let machine = try Shipped.workflow().machine(for: kind)
    let moves = try #require(Self.expected[kind]).moves
    var decided = 0
    for state in machine.states.map(\.name) {
      for event in machine.events + ["no-such-event"] {
        let declared = machine.transitions.first { $0.event == event && $0.from.contains(state) }
        #expect((declared != nil) == moves.contains { $0.from == state && $0.event == event })
        for facts in [
          Facts(), satisfying(declared?.guardExpression), violating(declared?.guardExpression),
        ] {
          decided += 1
          let options = machine.options(state: state, facts: facts)
          let possible = options.filter { $0.status == .possible }.map(\.event)
          let option = options.first { $0.event == event }
          let failures = declared?.guardExpression?.failures(in: facts) ?? []
          switch machine.decide(state: state, event: event, facts: facts) {
          case .success(let transition):
            #expect(transition == declared)
            #expect(failures.isEmpty)
            #expect(option == EventOption(event: event, target: transition.to, status: .possible))
            #expect(possible.contains(event))
          case .failure(let refusal):
            #expect(refusal.kind == kind)
            #expect(refusal.state == state)
            #expect(refusal.allowedEvents == possible)
            #expect(!possible.contains(event))
            #expect(refusal.allowedEvents == machine.allowedEvents(state: state, facts: facts))
            if event == "no-such-event" {
              #expect(refusal.reason == .unknownEvent(event))
              #expect(option == nil)
            } else if let declared {
              #expect(!failures.isEmpty)
              #expect(refusal.reason == .guardFailed(event: event, failures: failures))
              #expect(
                option == EventOption(event: event, target: declared.to, status: .blocked(failures))
              )
            } else {
              let allowedFrom = machine.states.map(\.name).filter { from in
                moves.contains { $0.from == from && $0.event == event }
              }
              #expect(
                refusal.reason
                  == .notAllowedInState(event: event, state: state, allowedFrom: allowedFrom))
              #expect(
                option == EventOption(event: event, target: nil, status: .needsState(allowedFrom)))
              #expect(refusal.description.contains("cannot '\(event)' in state '\(state)'"))
            }
          }
        }
      }
      // Options list every event once, in file order.
      #expect(machine.options(state: state, facts: Facts()).map(\.event) == machine.events)
    }
    #expect(decided == machine.states.count * (machine.events.count + 1) * 3)
  }

  @Test(arguments: EntityKind.allCases)
  func unknownStateIsRefused(kind: EntityKind) throws {
    let machine = try Shipped.workflow().machine(for: kind)
    let event = try #require(machine.events.first)
    let refusal = try #require(
      machine.decide(state: "limbo", event: event, facts: Facts()).failureValue)
    #expect(refusal.reason == .unknownState("limbo"))
    #expect(refusal.allowedEvents.isEmpty)
    #expect(refusal.description == "\(kind) has no state 'limbo'; events allowed now: none")
    #expect(machine.options(state: "limbo", facts: Facts()).allSatisfy { $0.target == nil })
  }

  @Test(arguments: EntityKind.allCases)
  func finalStatesAllowNothing(kind: EntityKind) throws {
    let machine = try Shipped.workflow().machine(for: kind)
    for state in machine.states where state.isFinal {
      #expect(machine.transitions(from: state.name).isEmpty)
      for option in machine.options(state: state.name, facts: Facts()) {
        guard case .needsState(let from) = option.status else {
          Issue.record("\(kind).\(state.name): \(option.event) should need another state")
          continue
        }
        #expect(!from.contains(state.name))
      }
    }
  }

  /// Walks `steps` from the initial state, each event under its facts; returns the end state.
  func walk(_ kind: EntityKind, _ steps: [(event: String, facts: [String: Int], to: String)]) throws
    -> String
  {
    let machine = try Shipped.workflow().machine(for: kind)
    var state = machine.initialState
    for step in steps {
      let transition = try machine.decide(
        state: state, event: step.event, facts: facts(kind, step.facts)
      ).get()
      #expect(transition.to == step.to, "\(kind) \(state) -\(step.event)->")
      state = transition.to
    }
    return state
  }

  @Test func consultationHappyPath() throws {
    let end = try walk(
      .consultation,
      [
        ("open-participation", ["invitations.sent": 3], "participatory-phase"),
        (
          "close-participation", ["workshops.summarised": 1, "workshops.cancelled": 1], "synthesis"
        ),
        ("begin-drafting", [:], "drafting"),
        ("begin-coordination", [:], "coordination"),
        ("return-to-drafting", [:], "drafting"),
        ("begin-coordination", [:], "coordination"),
        ("submit-for-adoption", [:], "adoption"),
        ("adopt", [:], "publication"),
        ("publish", [:], "closed"),
      ])
    #expect(try Shipped.workflow().machine(for: .consultation).isFinal(end))
  }

  @Test func invitationHappyPath() throws {
    let end = try walk(
      .invitation,
      [
        ("send", [:], "sent"),
        ("tentative", [:], "tentative"),
        ("decline", [:], "declined"),
        ("accept", [:], "accepted"),
        ("attend", ["workshop.held": 1], "attended"),
      ])
    #expect(end == "attended")
    // Attendance may also be recorded after the workshop is summarised, or for an invitation
    // to the consultation itself (no workshop: every workshop fact is 0).
    #expect(
      try walk(
        .invitation,
        [("send", [:], "sent"), ("accept", [:], "accepted"), ("attend", [:], "attended")])
        == "attended")
    #expect(
      try walk(
        .invitation,
        [
          ("send", [:], "sent"), ("accept", [:], "accepted"),
          ("no-show", ["workshop.summarised": 1], "no-show"),
        ])
        == "no-show")
  }

  @Test func workshopHappyPath() throws {
    let end = try walk(
      .workshop,
      [
        ("schedule", [:], "scheduled"),
        ("postpone", [:], "planned"),
        ("schedule", [:], "scheduled"),
        ("hold", ["consultation.participatory-phase": 1, "invitations.accepted": 12], "held"),
        ("summarise", ["summaries.published": 1], "summarised"),
      ])
    #expect(end == "summarised")
  }

  @Test func proceedingsSummaryHappyPath() throws {
    let end = try walk(
      .proceedingsSummary,
      [
        ("submit-for-review", [:], "in-review"),
        ("request-changes", [:], "drafting"),
        ("submit-for-review", [:], "in-review"),
        ("approve", [:], "approved"),
        ("publish", ["workshop.held": 1], "published"),
      ])
    #expect(end == "published")
  }

  @Test func contributionHappyPath() throws {
    #expect(try walk(.contribution, [("accept", [:], "accepted")]) == "accepted")
    #expect(try walk(.contribution, [("reject", [:], "rejected")]) == "rejected")
  }

  @Test func closingParticipationReportsEachFailingConditionWithItsObservedValue() throws {
    let machine = try Shipped.workflow().machine(for: .consultation)
    let observed = try facts(
      .consultation, ["workshops.planned": 1, "workshops.held": 2, "workshops.summarised": 4])
    let refusal = try #require(
      machine.decide(state: "participatory-phase", event: "close-participation", facts: observed)
        .failureValue)
    guard case .guardFailed(let event, let failures) = refusal.reason else {
      Issue.record("expected a guard failure, got \(refusal.reason)")
      return
    }
    #expect(event == "close-participation")
    #expect(
      failures.map(\.description) == [
        "needs workshops.planned == 0; has 1", "needs workshops.held == 0; has 2",
      ])
    #expect(failures.map(\.observed) == [1, 2])
    #expect(refusal.allowedEvents == ["cancel"])
    #expect(
      refusal.description
        == "consultation cannot 'close-participation' in state 'participatory-phase' yet: "
        + "needs workshops.planned == 0; has 1; needs workshops.held == 0; has 2; events allowed now: cancel"
    )
  }

  @Test func holdingAWorkshopNeedsTheParticipatoryPhaseAndAnAcceptance() throws {
    let machine = try Shipped.workflow().machine(for: .workshop)
    let refusal = try #require(
      machine.decide(state: "scheduled", event: "hold", facts: Facts()).failureValue)
    #expect(
      refusal.description
        == "workshop cannot 'hold' in state 'scheduled' yet: needs consultation.participatory-phase == 1; has 0; "
        + "needs invitations.accepted >= 1; has 0; events allowed now: postpone, cancel")
    let options = machine.options(
      state: "scheduled", facts: try facts(.workshop, ["invitations.accepted": 1]))
    #expect(
      options.first { $0.event == "hold" }?.status
        == .blocked([
          ConditionFailure(
            condition: Condition(
              fact: try fact("consultation.participatory-phase", .workshop), comparison: .equal,
              value: 1),
            observed: 0)
        ]))
  }

  @Test func notAllowedInStateNamesTheStatesItIsAllowedFrom() throws {
    let machine = try Shipped.workflow().machine(for: .workshop)
    let refusal = try #require(
      machine.decide(state: "planned", event: "hold", facts: Facts()).failureValue)
    #expect(
      refusal.reason
        == .notAllowedInState(event: "hold", state: "planned", allowedFrom: ["scheduled"]))
    #expect(
      refusal.description
        == "workshop cannot 'hold' in state 'planned' (allowed from: scheduled); events allowed now: schedule, cancel"
    )
    let unknown = try #require(
      machine.decide(state: "planned", event: "dance", facts: Facts()).failureValue)
    #expect(
      unknown.description == "workshop has no event 'dance'; events allowed now: schedule, cancel")
  }

  @Test func requiredFactsAreExactlyWhatTheGuardsRead() throws {
    let workflow = try Shipped.workflow()
    let expected: [EntityKind: Set<String>] = [
      .consultation: [
        "invitations.sent", "workshops.planned", "workshops.scheduled", "workshops.held",
      ],
      .invitation: ["workshop.cancelled", "workshop.planned", "workshop.scheduled"],
      .workshop: [
        "consultation.participatory-phase", "invitations.accepted", "summaries.published",
      ],
      .proceedingsSummary: ["workshop.held"],
      .contribution: [],
      .draft: ["comments.open"],
      .comment: [],
    ]
    for kind in EntityKind.allCases {
      let machine = try workflow.machine(for: kind)
      #expect(Set(machine.requiredFacts.map(\.description)) == expected[kind], "\(kind)")
      for reference in machine.requiredFacts {
        #expect(Relation.relations(for: kind).contains(reference.relation))
        if let state = reference.state {
          #expect(try workflow.machine(for: reference.relation.kind).hasState(state))
        }
      }
    }
  }
}

extension Result {
  /// The failure, or `nil` on success.
  var failureValue: Failure? {
    if case .failure(let failure) = self { return failure }
    return nil
  }
}
