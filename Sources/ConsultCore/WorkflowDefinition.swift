import Yams

/// A validated workflow: one state machine per entity kind, read from a YAML workflow file.
///
/// The file format (see `Workflows/white-paper.yaml`):
///
/// ```yaml
/// workflow: white-paper          # [a-z0-9-]+
/// version: 1                     # string or integer
/// title: Expert white-paper consultation
/// description: ...               # optional
/// summary-title: Report on the comments   # optional: the summary document's name
/// sign-off:                      # optional: who approves the draft (see SignOffRule)
///   approvers: [workshop-hosts]
///   event: finalise
/// machines:
///   consultation:                # an EntityKind raw value; consultation is required
///     initial: preparation
///     label: Consultation        # optional: what one entity is called in exports' headings
///     states:
///       preparation: { description: "..." }
///       closed: { final: true }
///     transitions:
///       - event: open-participation
///         from: preparation      # a state or a list of states
///         to: participatory-phase
///         guard: "invitations.sent >= 1"   # optional, see GuardExpression
///         description: "..."               # optional
///         after: P21D                      # optional timer (or at: consultation.deadline),
///                                          # see TimerDueRule
/// ```
public struct WorkflowDefinition: Sendable {
  /// The workflow's name (`workflow:`), `[a-z0-9-]+`.
  public let name: String
  /// The workflow's version (`version:`), kept as written.
  public let version: String
  /// The human title (`title:`).
  public let title: String
  /// The optional free-text description.
  public let description: String?
  /// What the workflow calls its summary document (`summary-title:`, e.g. "Report on the comments");
  /// nil: "Proceedings summary".
  public let summaryTitle: String?
  /// Who must approve the draft before it is final (`sign-off:`); nil when the file has none.
  public let signOff: SignOffRule?
  /// The machines declared, by entity kind; always contains `.consultation`.
  public let machines: [EntityKind: StateMachine]
  /// The file name given to ``parse(yaml:file:)``, for messages.
  public let file: String

  /// Where `machines:` is, for ``machine(for:)``'s error.
  private let machinesLine: Int
  private let machinesColumn: Int

  /// Parses and validates a workflow file.
  ///
  /// - Parameters:
  ///   - yaml: The file's text.
  ///   - file: The file's name or path; used only in error messages.
  /// - Returns: The workflow, every machine of which is valid.
  /// - Throws: ``WorkflowError`` listing **every** problem found, each with file, line and
  ///   column: a YAML syntax error; a missing or ill-typed key, or an unknown one; an unknown
  ///   machine kind or a missing `consultation` machine; a name that is not `[a-z0-9-]+`; a
  ///   missing initial state or one that is not declared; a transition from or to an unknown
  ///   state; a final state with an outgoing transition; a state unreachable from the initial
  ///   state; a non-final state with no way out (no transition leaves it, or no final state can
  ///   be reached from it, or the machine has no final state); the same event declared twice
  ///   from the same state; a bad guard (syntax, unknown relation, operator or state, or a
  ///   relation whose machine the file does not declare); a bad timer (a malformed `after:`
  ///   duration, an `at:` field that is unknown or not readable by the machine, both keys on one
  ///   transition, or a timer on a transition from a final state). The graph checks (reachability, way
  ///   out) are skipped for a machine whose states or transitions already have a problem, since
  ///   their findings would only echo it.
  public static func parse(yaml: String, file: String) throws(WorkflowError) -> WorkflowDefinition {
    var loader = WorkflowLoader(file: file, yaml: yaml)
    let definition = loader.load()
    guard let definition, loader.issues.isEmpty else {
      throw WorkflowError(issues: loader.sortedIssues)
    }
    return definition
  }

  /// Creates a definition from validated parts; only the loader calls this.
  init(
    name: String, version: String, title: String, description: String?, summaryTitle: String? = nil,
    signOff: SignOffRule? = nil, machines: [EntityKind: StateMachine],
    file: String, machinesLine: Int, machinesColumn: Int
  ) {
    self.name = name
    self.version = version
    self.title = title
    self.description = description
    self.summaryTitle = summaryTitle
    self.signOff = signOff
    self.machines = machines
    self.file = file
    self.machinesLine = machinesLine
    self.machinesColumn = machinesColumn
  }

  /// The lifecycle of contributions in a workflow that declares no `contribution` machine:
  /// recording contributions is the main job of every consultation, so a workflow that tracks
  /// only its phases still records them, each in the single final state `recorded`, with no
  /// events.
  public static let implicitContributionMachine = StateMachine(
    kind: .contribution, initialState: "recorded",
    states: [
      StateDeclaration(
        name: "recorded", isFinal: true,
        description: "Recorded; the workflow declares no lifecycle for contributions.")
    ],
    transitions: [],
    description: "Contributions without a lifecycle (the workflow declares no contribution machine).")

  /// The machine for `kind`: the declared one, or for `.contribution` in a workflow that declares
  /// none, ``implicitContributionMachine``.
  ///
  /// - Throws: ``WorkflowError`` (located at `machines:` in the file) if this workflow declares
  ///   no machine for `kind` (other than `.contribution`).
  public func machine(for kind: EntityKind) throws(WorkflowError) -> StateMachine {
    if kind == .contribution, machines[kind] == nil { return Self.implicitContributionMachine }
    guard let machine = machines[kind] else {
      throw WorkflowError(issues: [
        WorkflowIssue(
          file: file, line: machinesLine, column: machinesColumn,
          message: "workflow '\(name)' has no machine for '\(kind)'")
      ])
    }
    return machine
  }
}

/// A position in the file, from a Yams mark (1:1 when a node has none).
struct Position: Hashable {
  var line: Int
  var column: Int

  init(line: Int, column: Int) {
    self.line = line
    self.column = column
  }

  init(_ mark: Mark?) {
    self.init(line: mark?.line ?? 1, column: mark?.column ?? 1)
  }

  init(_ node: Node) {
    self.init(node.mark)
  }
}

/// Walks the YAML node tree, collecting every issue instead of stopping at the first.
struct WorkflowLoader {
  let file: String
  let yaml: String
  private(set) var issues: [WorkflowIssue] = []
  /// Events declared more than once from one state, checked for overlapping guards once the
  /// guards are parsed.
  private var repeatedEvents: [RepeatedEvent] = []

  init(file: String, yaml: String) {
    self.file = file
    self.yaml = yaml
  }

  /// The issues by position (stable for equal positions), without duplicates.
  var sortedIssues: [WorkflowIssue] {
    var seen: Set<WorkflowIssue> = []
    return issues.enumerated()
      .sorted {
        ($0.element.line, $0.element.column, $0.offset) < (
          $1.element.line, $1.element.column, $1.offset
        )
      }
      .map(\.element)
      .filter { seen.insert($0).inserted }
  }

  mutating func report(_ position: Position, _ message: String) {
    issues.append(
      WorkflowIssue(file: file, line: position.line, column: position.column, message: message))
  }

  // MARK: - Raw parts, before cross-checks

  struct RawState {
    var declaration: StateDeclaration
    var position: Position
  }

  struct RawTransition {
    var event: String
    var position: Position
    var from: [(name: String, position: Position)]
    var to: (name: String, position: Position)?
    var guardText: (text: String, node: Node)?
    var description: String?
    /// `after:` or `at:`, parsed, with where it is written; the field is checked against the
    /// machine's kind in ``validate(_:)``.
    var timer: (rule: TimerDueRule, position: Position)?
  }

  /// A second declaration of `event` from `state`: transitions `first` and `second` (indices
  /// in the machine's transitions).
  struct RepeatedEvent {
    var kind: EntityKind
    var event: String
    var state: String
    var first: Int
    var second: Int
    var firstLine: Int
    var position: Position
  }

  struct RawMachine {
    var kind: EntityKind
    var position: Position
    var initial: (name: String, position: Position)?
    var states: [RawState]
    var statesPosition: Position
    var transitions: [RawTransition]
    var description: String?
    var label: String?
    /// Whether its states and transitions were read without problems; if not, the graph checks
    /// (reachability, way out) are skipped, as their findings would only echo those problems.
    var isWellFormed = true

    var stateNames: Set<String> { Set(states.map(\.declaration.name)) }
  }

  // MARK: - Loading

  mutating func load() -> WorkflowDefinition? {
    let root: Node?
    do {
      root = try Yams.compose(yaml: yaml)
    } catch let error as YamlError {
      reportYAML(error)
      return nil
    } catch {
      report(Position(line: 1, column: 1), "cannot read YAML: \(error)")
      return nil
    }
    guard let root, !isNull(root) else {
      report(Position(line: 1, column: 1), "the file is empty; expected a workflow mapping")
      return nil
    }
    for duplicate in YAMLDuplicateKeys.find(in: root) {
      report(
        Position(duplicate.key),
        "duplicate key '\(duplicate.text)' in a mapping (first at line \(duplicate.first.mark?.line ?? 1), "
          + "column \(duplicate.first.mark?.column ?? 1))")
    }
    guard
      let top = mapping(
        root, "the top level", expected: "a mapping with workflow, version, title and machines")
    else { return nil }
    checkKeys(
      top, allowed: ["workflow", "version", "title", "description", "summary-title", "sign-off", "machines"],
      in: "the top level"
    )

    let name = requiredString(top, "workflow", in: "the workflow file")
    if let name, !WorkflowNames.isValid(name.value) {
      report(name.position, "workflow name '\(name.value)' must match [a-z0-9-]+")
    }
    let version = requiredString(top, "version", in: "the workflow file")
    let title = requiredString(top, "title", in: "the workflow file")
    let description = optionalString(top, "description", in: "the workflow file")
    let summaryTitle = optionalString(top, "summary-title", in: "the workflow file")

    var raw: [RawMachine] = []
    var machinesPosition = Position(top.mark)
    if let (key, value) = entry(top, "machines") {
      machinesPosition = Position(key)
      if isNull(value) {
        report(Position(key), "missing value for 'machines'")
      } else if let machines = mapping(
        value, "'machines'", expected: "a mapping from entity kind to machine")
      {
        raw = loadMachines(machines)
        let declared = machines.keys.compactMap {
          $0.scalar.flatMap { EntityKind(rawValue: $0.string) }
        }
        if !declared.contains(.consultation) {
          report(Position(key), "missing machine 'consultation' (every workflow needs one)")
        }
      }
    } else {
      report(Position(top.mark), "missing key 'machines' in the workflow file")
    }

    for machine in raw { validate(machine) }
    let signOff = loadSignOff(top, machines: raw)
    let guards = loadGuards(raw)
    checkOverlaps(raw, guards: guards)

    guard let name, let version, let title, issues.isEmpty else { return nil }
    var machines: [EntityKind: StateMachine] = [:]
    for machine in raw {
      let transitions = machine.transitions.enumerated().map { index, transition in
        Transition(
          event: transition.event, from: transition.from.map(\.name), to: transition.to?.name ?? "",
          guardExpression: guards[machine.kind]?[index], description: transition.description,
          timer: transition.timer?.rule)
      }
      machines[machine.kind] = StateMachine(
        kind: machine.kind, initialState: machine.initial?.name ?? "",
        states: machine.states.map(\.declaration),
        transitions: transitions, description: machine.description, label: machine.label)
    }
    return WorkflowDefinition(
      name: name.value, version: version.value, title: title.value, description: description?.value,
      summaryTitle: summaryTitle?.value, signOff: signOff, machines: machines, file: file,
      machinesLine: machinesPosition.line,
      machinesColumn: machinesPosition.column)
  }

  private mutating func reportYAML(_ error: YamlError) {
    func withContext(_ problem: String, _ context: YamlError.Context?) -> String {
      guard let context else { return problem }
      return
        "\(problem) (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
    }
    switch error {
    case .scanner(let context, let problem, let mark, _),
      .parser(let context, let problem, let mark, _),
      .composer(let context, let problem, let mark, _):
      report(Position(mark), "YAML syntax error: " + withContext(problem, context))
    case .reader(let problem, let offset, _, let text):
      var position = Position(line: 1, column: 1)
      if let offset {
        for character in text.prefix(offset) {
          if character == "\n" {
            position.line += 1
            position.column = 1
          } else {
            position.column += character.unicodeScalars.count
          }
        }
      }
      report(position, "YAML reader error: \(problem)")
    case .duplicatedKeysInMapping(let duplicates, let context):
      // Yams refuses the whole document at the first mapping with repeated keys (equal text and
      // equal resolved tag), locating the first occurrence of the first of them (in sort order).
      for (index, key) in duplicates.enumerated() {
        report(
          Position(context.mark),
          index == 0
            ? "duplicate key '\(key)' in a mapping: it is used again later in the same mapping; "
              + "the rest of the file is checked once the duplicate is removed"
            : "duplicate key '\(key)' in the same mapping as '\(duplicates[0])' here")
      }
    default:
      report(Position(line: 1, column: 1), "cannot read YAML: \(error)")
    }
  }

  private mutating func loadMachines(_ machines: Node.Mapping) -> [RawMachine] {
    var result: [RawMachine] = []
    for (key, value) in machines {
      let keyText = key.string ?? "\(key)"
      guard let kind = EntityKind(rawValue: keyText) else {
        report(
          Position(key),
          "unknown machine kind '\(keyText)'; expected one of: "
            + EntityKind.allCases.map(\.rawValue).joined(separator: ", "))
        continue
      }
      if let machine = loadMachine(kind, key: key, value: value) { result.append(machine) }
    }
    return result
  }

  private mutating func loadMachine(_ kind: EntityKind, key: Node, value: Node) -> RawMachine? {
    let context = "machine '\(kind)'"
    guard !isNull(value) else {
      report(Position(key), "\(context) is empty; expected initial, states and transitions")
      return nil
    }
    guard
      let body = mapping(value, context, expected: "a mapping with initial, states and transitions")
    else {
      return nil
    }
    let issuesBefore = issues.count
    checkKeys(body, allowed: ["initial", "states", "transitions", "description", "label"], in: context)
    var machine = RawMachine(
      kind: kind, position: Position(key), initial: nil, states: [], statesPosition: Position(key),
      transitions: [], description: optionalString(body, "description", in: context)?.value,
      label: optionalString(body, "label", in: context)?.value)

    if let (statesKey, statesValue) = entry(body, "states") {
      machine.statesPosition = Position(statesKey)
      if isNull(statesValue) {
        report(Position(statesKey), "\(context) declares no states")
      } else if let states = mapping(
        statesValue, "'states' of \(context)", expected: "a mapping from state name to state")
      {
        if states.count == 0 { report(Position(statesKey), "\(context) declares no states") }
        for (stateKey, stateValue) in states {
          if let state = loadState(stateKey, stateValue, in: context) {
            machine.states.append(state)
          }
        }
      }
    } else {
      report(Position(body.mark), "missing key 'states' in \(context)")
    }

    if let initial = requiredString(body, "initial", in: context) {
      machine.initial = (initial.value, initial.position)
      if !machine.states.isEmpty, !machine.stateNames.contains(initial.value) {
        report(
          initial.position,
          "initial state '\(initial.value)' of \(context) is not declared in its states")
      }
    }

    if let (_, transitionsValue) = entry(body, "transitions"), !isNull(transitionsValue) {
      if case .sequence(let items) = transitionsValue {
        for item in items {
          if let transition = loadTransition(item, in: context) {
            machine.transitions.append(transition)
          }
        }
      } else {
        report(
          Position(transitionsValue),
          "'transitions' of \(context) must be a list, found \(shape(transitionsValue))")
      }
    }
    machine.isWellFormed = issues.count == issuesBefore
    return machine
  }

  private mutating func loadState(_ key: Node, _ value: Node, in context: String) -> RawState? {
    guard let name = key.scalar?.string else {
      report(Position(key), "state names in \(context) must be strings, found \(shape(key))")
      return nil
    }
    if !WorkflowNames.isValid(name) {
      report(Position(key), "state name '\(name)' in \(context) must match [a-z0-9-]+")
    }
    var isFinal = false
    var description: String?
    if !isNull(value) {
      let stateContext = "state '\(name)' of \(context)"
      guard
        let body = mapping(
          value, stateContext, expected: "a mapping with final and description, or nothing")
      else {
        return RawState(declaration: StateDeclaration(name: name), position: Position(key))
      }
      checkKeys(body, allowed: ["final", "description"], in: stateContext)
      if let (_, finalValue) = entry(body, "final") {
        if let flag = finalValue.scalar.flatMap(Bool.construct) {
          isFinal = flag
        } else {
          report(Position(finalValue), "'final' of \(stateContext) must be true or false")
        }
      }
      description = optionalString(body, "description", in: stateContext)?.value
    }
    return RawState(
      declaration: StateDeclaration(name: name, isFinal: isFinal, description: description),
      position: Position(key))
  }

  private mutating func loadTransition(_ item: Node, in context: String) -> RawTransition? {
    guard
      let body = mapping(
        item, "a transition of \(context)", expected: "a mapping with event, from and to")
    else {
      return nil
    }
    guard let event = requiredString(body, "event", in: "a transition of \(context)") else {
      // Still check the rest, so every problem is reported.
      checkKeys(
        body, allowed: Self.transitionKeys,
        in: "a transition of \(context)")
      return nil
    }
    let transitionContext = "transition '\(event.value)' of \(context)"
    checkKeys(
      body, allowed: Self.transitionKeys, in: transitionContext)
    if !WorkflowNames.isValid(event.value) {
      report(event.position, "event name '\(event.value)' in \(context) must match [a-z0-9-]+")
    } else if event.value == WorkflowMigrationPlan.eventName {
      report(event.position, "event name '\(event.value)' in \(context) is reserved for workflow migrations")
    }
    var transition = RawTransition(
      event: event.value, position: Position(body.mark), from: [], to: nil)

    if let (fromKey, fromValue) = entry(body, "from") {
      switch fromValue {
      case .sequence(let states) where states.count > 0:
        for state in states {
          if let name = scalarString(state) {
            transition.from.append((name, Position(state)))
          } else {
            report(
              Position(state),
              "'from' of \(transitionContext) must list state names, found \(shape(state))")
          }
        }
      case .sequence:
        report(Position(fromValue), "'from' of \(transitionContext) is an empty list")
      default:
        if isNull(fromValue) {
          report(Position(fromKey), "missing value for 'from' in \(transitionContext)")
        } else if let name = scalarString(fromValue) {
          transition.from.append((name, Position(fromValue)))
        } else {
          report(
            Position(fromValue),
            "'from' of \(transitionContext) must be a state or a list of states, found \(shape(fromValue))"
          )
        }
      }
    } else {
      report(Position(body.mark), "missing key 'from' in \(transitionContext)")
    }

    if let to = requiredString(body, "to", in: transitionContext) {
      transition.to = (to.value, to.position)
    }
    if let (_, guardValue) = entry(body, "guard"), !isNull(guardValue) {
      if let text = scalarString(guardValue) {
        transition.guardText = (text, guardValue)
      } else {
        report(
          Position(guardValue),
          "'guard' of \(transitionContext) must be a string, found \(shape(guardValue))")
      }
    }
    transition.description = optionalString(body, "description", in: transitionContext)?.value
    transition.timer = loadTimer(body, in: transitionContext)
    return transition
  }

  /// The keys a transition may have.
  static let transitionKeys = ["event", "from", "to", "guard", "description", "after", "at"]

  /// Reads `after: DURATION` or `at: FIELD` of a transition, reporting a malformed duration, a
  /// field that is not a ``DateField``, a non-string value, or both keys at once.
  private mutating func loadTimer(_ body: Node.Mapping, in context: String) -> (
    rule: TimerDueRule, position: Position
  )? {
    let after = entry(body, "after")
    let at = entry(body, "at")
    if let after, let at {
      let second = Position(after.key).line > Position(at.key).line ? after.key : at.key
      report(
        Position(second),
        "\(context) has both 'after' and 'at'; a transition has at most one timer")
      return nil
    }
    if let (key, value) = after {
      guard let text = scalarString(value) else {
        report(
          Position(isNull(value) ? key : value),
          "missing or ill-typed value for 'after' in \(context); expected a duration such as P14D or PT48H")
        return nil
      }
      guard let duration = ISODuration(text) else {
        report(
          Position(value),
          "malformed duration '\(text)' in 'after' of \(context); use ISO 8601 whole units in the order "
            + "PnYnMnWnDTnHnMnS, e.g. P14D, PT48H, P1M, P1DT12H")
        return nil
      }
      return (.after(duration), Position(value))
    }
    if let (key, value) = at {
      guard let text = scalarString(value) else {
        report(
          Position(isNull(value) ? key : value),
          "missing or ill-typed value for 'at' in \(context); expected a date field such as consultation.deadline")
        return nil
      }
      guard let field = DateField(rawValue: text) else {
        report(
          Position(value),
          "unknown date field '\(text)' in 'at' of \(context); known fields: "
            + DateField.allCases.map(\.rawValue).joined(separator: ", "))
        return nil
      }
      return (.at(field), Position(value))
    }
    return nil
  }

  // MARK: - Cross-checks within one machine

  private mutating func validate(_ machine: RawMachine) {
    let context = "machine '\(machine.kind)'"
    let names = machine.stateNames
    let finals = Set(machine.states.filter(\.declaration.isFinal).map(\.declaration.name))
    var firstDeclaration: [String: [(index: Int, position: Position)]] = [:]
    var edges: [(from: String, to: String)] = []
    var isWellFormed = machine.isWellFormed

    for (index, transition) in machine.transitions.enumerated() {
      let subject = "transition '\(transition.event)'"
      if let timer = transition.timer {
        if case .at(let field) = timer.rule, !DateField.fields(for: machine.kind).contains(field) {
          report(
            timer.position,
            "unknown date field '\(field)' for \(context) in 'at' of \(subject); it can read: "
              + DateField.fields(for: machine.kind).map(\.rawValue).joined(separator: ", "))
        }
        for from in transition.from where finals.contains(from.name) {
          report(
            timer.position,
            "timer of \(subject) of \(context) can never fire: final state '\(from.name)' is never left")
        }
      }
      for from in transition.from {
        if !names.contains(from.name) {
          isWellFormed = false
          report(from.position, "\(subject) of \(context) comes from unknown state '\(from.name)'")
        } else if finals.contains(from.name) {
          report(
            from.position,
            "final state '\(from.name)' of \(context) cannot have outgoing transitions (\(subject))"
          )
        }
        let key = "\(transition.event)\u{0}\(from.name)"
        for earlier in firstDeclaration[key, default: []] {
          repeatedEvents.append(
            RepeatedEvent(
              kind: machine.kind, event: transition.event, state: from.name, first: earlier.index,
              second: index, firstLine: earlier.position.line, position: from.position))
        }
        firstDeclaration[key, default: []].append((index, from.position))
      }
      if let to = transition.to {
        if !names.contains(to.name) {
          isWellFormed = false
          report(to.position, "\(subject) of \(context) goes to unknown state '\(to.name)'")
        }
        for from in transition.from where names.contains(from.name) && names.contains(to.name) {
          edges.append((from.name, to.name))
        }
      }
    }

    guard isWellFormed, !machine.states.isEmpty else { return }
    let hasWayOut = Set(machine.transitions.flatMap { $0.from.map(\.name) })

    if let initial = machine.initial, names.contains(initial.name) {
      let reachable = closure(from: [initial.name], edges: edges)
      for state in machine.states where !reachable.contains(state.declaration.name) {
        report(
          state.position,
          "state '\(state.declaration.name)' of \(context) is unreachable from initial state '\(initial.name)'"
        )
      }
    }

    if finals.isEmpty {
      report(
        machine.statesPosition,
        "\(context) has no final state; mark at least one state 'final: true'")
    }
    let canFinish = closure(from: finals, edges: edges.map { ($0.to, $0.from) })
    for state in machine.states where !state.declaration.isFinal {
      let name = state.declaration.name
      if !hasWayOut.contains(name) {
        report(
          state.position,
          "non-final state '\(name)' of \(context) has no way out: no transition leaves it "
            + "(add one, or mark it 'final: true')")
      } else if !finals.isEmpty, !canFinish.contains(name) {
        report(
          state.position,
          "non-final state '\(name)' of \(context) has no way out: no final state can be reached from it"
        )
      }
    }
  }

  /// The states reachable from `start` along `edges`, `start` included.
  private func closure(from start: Set<String>, edges: [(String, String)]) -> Set<String> {
    var successors: [String: [String]] = [:]
    for (from, to) in edges { successors[from, default: []].append(to) }
    var seen = start
    var queue = Array(start)
    while let state = queue.popLast() {
      for next in successors[state] ?? [] where seen.insert(next).inserted { queue.append(next) }
    }
    return seen
  }

  /// Reports each event declared more than once from one state unless both guards parsed and
  /// are provably disjoint (``GuardExpression/isDisjoint(from:)``). A pair with a guard that
  /// failed to parse is skipped: its guard error is already reported.
  private mutating func checkOverlaps(_ machines: [RawMachine], guards: [EntityKind: [Int: GuardExpression]]) {
    var byKind: [EntityKind: RawMachine] = [:]
    for machine in machines { byKind[machine.kind] = machine }
    for repeated in repeatedEvents {
      guard let machine = byKind[repeated.kind] else { continue }
      let parsed = guards[repeated.kind] ?? [:]
      let indices = [repeated.first, repeated.second]
      if indices.contains(where: { machine.transitions[$0].guardText != nil && parsed[$0] == nil }) { continue }
      if let first = parsed[repeated.first], let second = parsed[repeated.second], first.isDisjoint(from: second) {
        continue
      }
      report(
        repeated.position,
        "event '\(repeated.event)' is declared twice from state '\(repeated.state)' in machine '\(repeated.kind)' "
          + "(first at line \(repeated.firstLine)) with overlapping guards; give both guards exclusive "
          + "conditions on one fact (e.g. 'F == 0' and 'F >= 1') or merge the transitions")
    }
  }

  // MARK: - Guards, checked against every machine's states

  private mutating func loadGuards(_ machines: [RawMachine]) -> [EntityKind: [Int: GuardExpression]] {
    var statesByKind: [EntityKind: RawMachine] = [:]
    for machine in machines { statesByKind[machine.kind] = machine }
    var result: [EntityKind: [Int: GuardExpression]] = [:]
    for machine in machines {
      for (index, transition) in machine.transitions.enumerated() {
        guard let (text, node) = transition.guardText else { continue }
        let subject = "guard of transition '\(transition.event)' of machine '\(machine.kind)'"
        let located: GuardParser.Located
        do {
          located = try GuardParser.parse(text, for: machine.kind)
        } catch {
          report(
            position(in: node, text: text, offset: error.offset), "bad \(subject): \(error.message)"
          )
          continue
        }
        var valid = true
        for (condition, offset) in zip(located.expression.conditions, located.factOffsets) {
          guard let state = condition.fact.state else { continue }
          let related = condition.fact.relation.kind
          let at = position(in: node, text: text, offset: offset)
          guard let relatedMachine = statesByKind[related] else {
            report(
              at,
              "bad \(subject): '\(condition.fact)' reads the \(related) machine, which this workflow does not declare"
            )
            valid = false
            continue
          }
          if !relatedMachine.stateNames.contains(state) {
            report(
              at,
              "bad \(subject): unknown state '\(state)' in '\(condition.fact)'; states of \(related): "
                + relatedMachine.states.map(\.declaration.name).joined(separator: ", "))
            valid = false
          }
        }
        if valid { result[machine.kind, default: [:]][index] = located.expression }
      }
    }
    return result
  }

  /// The file position of scalar `offset` of a guard's text, exact for one-line plain or quoted
  /// scalars, else the scalar's start.
  private func position(in node: Node, text: String, offset: Int) -> Position {
    var position = Position(node)
    guard let scalar = node.scalar, !text.contains("\n") else { return position }
    switch scalar.style {
    case .plain: position.column += offset
    case .singleQuoted, .doubleQuoted: position.column += 1 + offset
    default: break
    }
    return position
  }

  // MARK: - Node helpers

  private func isNull(_ node: Node) -> Bool {
    guard case .scalar = node else { return false }
    return node.tag.description == Tag.Name.null.rawValue
  }

  private func shape(_ node: Node) -> String {
    switch node {
    case .mapping: "a mapping"
    case .sequence: "a list"
    case .scalar: isNull(node) ? "nothing" : "'\(node.scalar?.string ?? "")'"
    case .alias: "an alias"
    }
  }

  /// Reads `sign-off:` (``SignOffRule``): `approvers:` a non-empty list of `workshop-hosts` or
  /// stakeholder handles, `event:` an event of the `draft` machine, which must be declared.
  private mutating func loadSignOff(_ top: Node.Mapping, machines: [RawMachine]) -> SignOffRule? {
    guard let (key, value) = entry(top, "sign-off") else { return nil }
    let context = "'sign-off'"
    guard let body = mapping(value, context, expected: "a mapping with approvers and event") else { return nil }
    checkKeys(body, allowed: ["approvers", "event"], in: context)
    var approvers: [SignOffRule.Approver] = []
    if let (approversKey, list) = entry(body, "approvers") {
      if case .sequence(let items) = list, items.count > 0 {
        for item in items {
          guard let text = scalarString(item),
            text.range(of: "^[a-z0-9][a-z0-9._-]*$", options: .regularExpression) != nil
          else {
            report(Position(item), "an approver in \(context) must be 'workshop-hosts' or a stakeholder handle")
            continue
          }
          approvers.append(text == SignOffRule.workshopHostsKeyword ? .workshopHosts : .stakeholder(text))
        }
      } else {
        report(Position(approversKey), "'approvers' of \(context) must be a non-empty list")
      }
    } else {
      report(Position(body.mark), "missing key 'approvers' in \(context)")
    }
    guard let event = requiredString(body, "event", in: context) else { return nil }
    guard let draft = machines.first(where: { $0.kind == .draft }) else {
      report(Position(key), "\(context) needs a 'draft' machine declaring its event '\(event.value)'")
      return nil
    }
    if !draft.transitions.contains(where: { $0.event == event.value }) {
      report(event.position, "event '\(event.value)' of \(context) is not an event of machine 'draft'")
    }
    return approvers.isEmpty ? nil : SignOffRule(approvers: approvers, event: event.value)
  }

  /// A non-null scalar's text, or `nil`.
  private func scalarString(_ node: Node) -> String? {
    guard case .scalar(let scalar) = node, !isNull(node) else { return nil }
    return scalar.string
  }

  private mutating func mapping(_ node: Node, _ what: String, expected: String) -> Node.Mapping? {
    guard case .mapping(let mapping) = node else {
      report(Position(node), "\(what) must be \(expected), found \(shape(node))")
      return nil
    }
    return mapping
  }

  private func entry(_ mapping: Node.Mapping, _ key: String) -> (key: Node, value: Node)? {
    mapping.first { $0.key.scalar?.string == key }
  }

  private mutating func checkKeys(_ mapping: Node.Mapping, allowed: [String], in context: String) {
    for key in mapping.keys {
      let text = key.scalar?.string ?? shape(key)
      if !allowed.contains(text) {
        report(
          Position(key),
          "unknown key '\(text)' in \(context); expected one of: \(allowed.joined(separator: ", "))"
        )
      }
    }
  }

  private mutating func requiredString(_ mapping: Node.Mapping, _ key: String, in context: String)
    -> (
      value: String, position: Position
    )?
  {
    guard let (keyNode, value) = entry(mapping, key) else {
      report(Position(mapping.mark), "missing key '\(key)' in \(context)")
      return nil
    }
    if isNull(value) {
      report(Position(keyNode), "missing value for '\(key)' in \(context)")
      return nil
    }
    return string(value, key, in: context)
  }

  private mutating func optionalString(_ mapping: Node.Mapping, _ key: String, in context: String)
    -> (
      value: String, position: Position
    )?
  {
    guard let (_, value) = entry(mapping, key), !isNull(value) else { return nil }
    return string(value, key, in: context)
  }

  private mutating func string(_ value: Node, _ key: String, in context: String) -> (
    value: String, position: Position
  )? {
    guard let text = scalarString(value) else {
      report(Position(value), "'\(key)' in \(context) must be a string, found \(shape(value))")
      return nil
    }
    if text.allSatisfy(\.isWhitespace) {
      report(Position(value), "'\(key)' in \(context) must not be empty")
      return nil
    }
    return (text, Position(value))
  }
}
