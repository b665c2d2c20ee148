/// A state declared in a machine.
public struct StateDeclaration: Sendable, Hashable {
  /// The state's name (lowercase-hyphen), unique in its machine.
  public let name: String
  /// Whether the state is final: no transition may leave it.
  public let isFinal: Bool
  /// Free text from the workflow file, if any.
  public let description: String?

  /// Creates a state declaration; no validation.
  public init(name: String, isFinal: Bool = false, description: String? = nil) {
    self.name = name
    self.isFinal = isFinal
    self.description = description
  }
}

/// A declared transition: `event` moves an entity from any state of `from` to `to`, if its
/// guard holds.
public struct Transition: Sendable, Hashable {
  /// The event's name (lowercase-hyphen).
  public let event: String
  /// The states the event is allowed from, in file order.
  public let from: [String]
  /// The state the entity is in afterwards.
  public let to: String
  /// The guard that must hold, if any.
  public let guardExpression: GuardExpression?
  /// Free text from the workflow file, if any.
  public let description: String?
  /// When `consult tick` fires the event by itself (`after:` or `at:`), if ever; a timed
  /// transition can still be fired by hand.
  public let timer: TimerDueRule?

  /// Creates a transition; no validation.
  public init(
    event: String, from: [String], to: String, guardExpression: GuardExpression? = nil,
    description: String? = nil, timer: TimerDueRule? = nil
  ) {
    self.event = event
    self.from = from
    self.to = to
    self.guardExpression = guardExpression
    self.description = description
    self.timer = timer
  }
}

/// The validated state machine of one entity kind, as declared in a workflow file.
///
/// Obtain one from ``WorkflowDefinition/machine(for:)``; every machine built by
/// ``WorkflowDefinition/parse(yaml:file:)`` has passed its validation (known states, reachable
/// states, a way out of every non-final state, at most one transition per event and state unless
/// their guards are disjoint (``GuardExpression/isDisjoint(from:)``), well-formed guards).
public struct StateMachine: Sendable {
  /// The kind of entity the machine governs.
  public let kind: EntityKind
  /// The state every new entity of this kind starts in.
  public let initialState: String
  /// The declared states, in file order.
  public let states: [StateDeclaration]
  /// The declared transitions, in file order.
  public let transitions: [Transition]
  /// The machine's free-text description, if any.
  public let description: String?
  /// What this workflow calls one entity of the kind, capitalised, for headings in exports
  /// (`label: Meeting` in a standing expert group's workshop machine), if the file says.
  public let label: String?

  private let stateIndex: [String: StateDeclaration]

  /// Creates a machine without validating it; ``WorkflowDefinition/parse(yaml:file:)`` validates.
  init(
    kind: EntityKind, initialState: String, states: [StateDeclaration], transitions: [Transition],
    description: String? = nil, label: String? = nil
  ) {
    self.kind = kind
    self.label = label
    self.initialState = initialState
    self.states = states
    self.transitions = transitions
    self.description = description
    self.stateIndex = Dictionary(
      states.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
  }

  /// Whether `state` is a declared state marked `final: true`; `false` for unknown states.
  public func isFinal(_ state: String) -> Bool {
    stateIndex[state]?.isFinal ?? false
  }

  /// Whether `state` is declared in this machine.
  public func hasState(_ state: String) -> Bool {
    stateIndex[state] != nil
  }

  /// The declaration of `state`, or `nil` if it is not declared.
  public func state(named state: String) -> StateDeclaration? {
    stateIndex[state]
  }

  /// Every event declared in the machine, in file order of first declaration, each once.
  public var events: [String] {
    var seen: Set<String> = []
    return transitions.map(\.event).filter { seen.insert($0).inserted }
  }

  /// The facts every guard of this machine reads, so the store computes only those.
  public var requiredFacts: Set<FactReference> {
    transitions.reduce(into: []) { facts, transition in
      facts.formUnion(transition.guardExpression?.facts ?? [])
    }
  }

  /// The transitions that carry a timer (`after:` or `at:`), in file order.
  public var timedTransitions: [Transition] {
    transitions.filter { $0.timer != nil }
  }

  /// The transitions that leave `state` (any event), in file order.
  public func transitions(from state: String) -> [Transition] {
    transitions.filter { $0.from.contains(state) }
  }

  /// The first transition (file order) `event` takes from `state`, ignoring guards; `nil` if
  /// none is declared. There is more than one only when their guards are disjoint (see
  /// ``transitions(for:from:)``).
  public func transition(for event: String, from state: String) -> Transition? {
    transitions.first { $0.event == event && $0.from.contains(state) }
  }

  /// Every transition `event` may take from `state`, ignoring guards, in file order. Validation
  /// allows several only when their guards provably never hold together
  /// (``GuardExpression/isDisjoint(from:)``), so at most one of them can be taken.
  public func transitions(for event: String, from state: String) -> [Transition] {
    transitions.filter { $0.event == event && $0.from.contains(state) }
  }

  /// The transition `event` takes from `state` given `facts`: the first (file order) whose guard
  /// holds, else the first declared with its failing conditions.
  ///
  /// - Returns: `nil` if `event` is not declared from `state`.
  private func choose(_ event: String, from state: String, facts: Facts) -> (Transition, [ConditionFailure])? {
    let candidates = transitions(for: event, from: state)
    guard let first = candidates.first else { return nil }
    if let passing = candidates.first(where: { ($0.guardExpression?.failures(in: facts) ?? []).isEmpty }) {
      return (passing, [])
    }
    return (first, first.guardExpression?.failures(in: facts) ?? [])
  }

  /// The states `event` is allowed from, in file order, each once (empty for an unknown event).
  public func states(allowing event: String) -> [String] {
    var seen: Set<String> = []
    return transitions.filter { $0.event == event }.flatMap(\.from).filter {
      seen.insert($0).inserted
    }
  }

  /// Decides `event` for an entity in `state`.
  ///
  /// - Parameters:
  ///   - state: The entity's current state.
  ///   - event: The event requested.
  ///   - facts: The observed values of (at least) ``requiredFacts``; missing facts read as 0.
  /// - Returns: The transition to take, or a ``Refusal`` saying precisely why not, checked in
  ///   this order: the state is not declared; the event is not declared in this machine; the
  ///   event is not allowed from this state (with the states it is allowed from); the guard
  ///   failed (each failing condition with its observed value; when the event has several
  ///   transitions from `state` with disjoint guards, the first whose guard holds is taken, and
  ///   if none holds the first declared one's failures are reported). The refusal lists the events
  ///   allowed now: allowed from `state` and with guards passing.
  public func decide(state: String, event: String, facts: Facts) -> Result<Transition, Refusal> {
    func refuse(_ reason: Refusal.Reason) -> Result<Transition, Refusal> {
      var suggestion: String?
      if case .unknownEvent(let event) = reason { suggestion = Phrasing.closest(to: event, among: events) }
      return .failure(
        Refusal(
          kind: kind, state: state, reason: reason,
          allowedEvents: allowedEvents(state: state, facts: facts), suggestion: suggestion))
    }
    guard hasState(state) else { return refuse(.unknownState(state)) }
    guard transitions.contains(where: { $0.event == event }) else {
      return refuse(.unknownEvent(event))
    }
    guard let (transition, failures) = choose(event, from: state, facts: facts) else {
      return refuse(
        .notAllowedInState(event: event, state: state, allowedFrom: states(allowing: event)))
    }
    guard failures.isEmpty else { return refuse(.guardFailed(event: event, failures: failures)) }
    return .success(transition)
  }

  /// Every event declared in the machine (file order, each once) with whether it is possible now
  /// from `state` given `facts`, and if not, why: it needs another state (the states it is
  /// allowed from), or its guard fails (the failing conditions with observed values).
  ///
  /// For an undeclared `state`, every event needs another state.
  public func options(state: String, facts: Facts) -> [EventOption] {
    events.map { event in
      guard let (transition, failures) = choose(event, from: state, facts: facts) else {
        return EventOption(event: event, target: nil, status: .needsState(states(allowing: event)))
      }
      return EventOption(
        event: event, target: transition.to,
        status: failures.isEmpty ? .possible : .blocked(failures))
    }
  }

  /// The events possible now from `state` given `facts` (file order).
  public func allowedEvents(state: String, facts: Facts) -> [String] {
    options(state: state, facts: facts).filter { $0.status == .possible }.map(\.event)
  }
}

/// Why an event was refused: ``StateMachine/decide(state:event:facts:)``'s failure.
public struct Refusal: Error, Sendable, CustomStringConvertible {
  /// The precise reason.
  public enum Reason: Sendable, Hashable {
    /// The entity's state is not declared in the machine.
    case unknownState(String)
    /// No transition of the machine has this event.
    case unknownEvent(String)
    /// The event exists but not from this state; `allowedFrom` lists the states it is allowed from.
    case notAllowedInState(event: String, state: String, allowedFrom: [String])
    /// The event is allowed from this state, but these guard conditions do not hold.
    case guardFailed(event: String, failures: [ConditionFailure])
  }

  /// The kind of the entity.
  public let kind: EntityKind
  /// The entity's state when the event was refused.
  public let state: String
  /// Why it was refused.
  public let reason: Reason
  /// The events allowed now: allowed from `state` and with guards passing (file order).
  public let allowedEvents: [String]
  /// For an unknown event, the machine's event perhaps meant (``Phrasing/closest(to:among:)``).
  public let suggestion: String?

  /// Creates a refusal.
  public init(kind: EntityKind, state: String, reason: Reason, allowedEvents: [String], suggestion: String? = nil) {
    self.kind = kind
    self.state = state
    self.reason = reason
    self.allowedEvents = allowedEvents
    self.suggestion = suggestion
  }

  /// One line, for example: `workshop cannot 'hold' in state 'planned' (allowed from:
  /// scheduled); events allowed now: schedule, cancel`.
  public var description: String {
    let head: String
    switch reason {
    case .unknownState(let state):
      head = "\(kind) has no state '\(state)'"
    case .unknownEvent(let event):
      head = "\(kind) has no event '\(event)'\(suggestion.map { " (did you mean '\($0)'?)" } ?? "")"
    case .notAllowedInState(let event, let state, let allowedFrom):
      let from = allowedFrom.isEmpty ? "no state" : allowedFrom.joined(separator: ", ")
      head = "\(kind) cannot '\(event)' in state '\(state)' (allowed from: \(from))"
    case .guardFailed(let event, let failures):
      head =
        "\(kind) cannot '\(event)' in state '\(state)' yet: "
        + failures.map(\.description).joined(separator: "; ")
    }
    let allowed = allowedEvents.isEmpty ? "none" : allowedEvents.joined(separator: ", ")
    return "\(head); events allowed now: \(allowed)"
  }
}

/// One event of a machine and whether it is possible now: ``StateMachine/options(state:facts:)``.
public struct EventOption: Sendable, Hashable {
  /// The event.
  public let event: String
  /// The state the event leads to from the current state, or `nil` if it is not allowed from it.
  public let target: String?
  /// Whether the event is possible now, and if not, why.
  public let status: Status

  /// Creates an option.
  public init(event: String, target: String?, status: Status) {
    self.event = event
    self.target = target
    self.status = status
  }

  /// Whether an event is possible now.
  public enum Status: Sendable, Hashable {
    /// Allowed from the current state, and its guard (if any) holds.
    case possible
    /// Not allowed from the current state; allowed only from these states.
    case needsState([String])
    /// Allowed from the current state, but these guard conditions do not hold.
    case blocked([ConditionFailure])
  }
}
