/// An explicit state mapping for moving a consultation to another version of its workflow, as
/// given on the command line: `OLD=NEW` for a state of any machine, `KIND.OLD=NEW` for one
/// machine's state (`workshop.held=took-place`). A kind-specific entry wins over a general one.
public struct StateMapping: Sendable, Hashable {
  /// One entry of the mapping.
  public struct Entry: Sendable, Hashable, CustomStringConvertible {
    /// The machine the entry is limited to, or `nil` for every machine with state ``from``.
    public let kind: EntityKind?
    /// The state in the current version.
    public let from: String
    /// The state in the new version.
    public let to: String

    /// Creates an entry; no validation (see ``StateMapping/parse(_:)``).
    public init(kind: EntityKind?, from: String, to: String) {
      self.kind = kind
      self.from = from
      self.to = to
    }

    /// `KIND.OLD=NEW` or `OLD=NEW`, as written on the command line.
    public var description: String { "\(kind.map { "\($0.rawValue)." } ?? "")\(from)=\(to)" }
  }

  /// The entries, in the order given.
  public let entries: [Entry]

  /// Creates a mapping from entries.
  public init(_ entries: [Entry] = []) {
    self.entries = entries
  }

  /// Parses `OLD=NEW` / `KIND.OLD=NEW` texts.
  ///
  /// - Throws: ``WorkflowMigrationError`` (`.malformedMapping`) for a text without `=`, an unknown
  ///   kind, a name that is not `[a-z0-9-]+`, or the same state mapped twice.
  public static func parse(_ texts: [String]) throws(WorkflowMigrationError) -> StateMapping {
    var entries: [Entry] = []
    for text in texts {
      let sides = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
      guard sides.count == 2 else { throw .malformedMapping(text, "use OLD=NEW or KIND.OLD=NEW") }
      var kind: EntityKind?
      var from = sides[0]
      if let dot = from.lastIndex(of: ".") {
        let kindName = String(from[..<dot])
        guard let parsed = EntityKind(rawValue: kindName) else {
          throw .malformedMapping(
            text,
            "unknown kind '\(kindName)'; use one of \(EntityKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        kind = parsed
        from = String(from[from.index(after: dot)...])
      }
      for name in [from, sides[1]] where !WorkflowNames.isValid(name) {
        throw .malformedMapping(text, "state names match [a-z0-9-]+")
      }
      let entry = Entry(kind: kind, from: from, to: sides[1])
      if entries.contains(where: { $0.kind == kind && $0.from == from }) {
        throw .malformedMapping(text, "'\(entry.kind.map { "\($0.rawValue)." } ?? "")\(from)' is mapped twice")
      }
      entries.append(entry)
    }
    return StateMapping(entries)
  }

  /// The state the mapping gives for `state` of `kind`'s machine: a kind-specific entry, else a
  /// general one, else `nil`.
  public func target(of state: String, in kind: EntityKind) -> String? {
    entries.first { $0.kind == kind && $0.from == state }?.to
      ?? entries.first { $0.kind == nil && $0.from == state }?.to
  }
}

/// The decision to move a consultation from one version of its workflow to another: for every
/// machine, where each state in use goes. Made by ``plan(from:to:statesInUse:mapping:)``; pure.
public struct WorkflowMigrationPlan: Sendable, Equatable {
  /// The event name the store logs a migration under; workflow files may not declare it.
  public static let eventName = "migrate-workflow"

  /// One state in use and where it goes.
  public struct Move: Sendable, Hashable, CustomStringConvertible, Encodable {
    /// The machine.
    public let kind: EntityKind
    /// The state in the current version.
    public let from: String
    /// The state in the new version (equal to ``from`` when it keeps its name).
    public let to: String
    /// How many entities are in ``from``.
    public let count: Int

    /// Creates a move.
    public init(kind: EntityKind, from: String, to: String, count: Int) {
      self.kind = kind
      self.from = from
      self.to = to
      self.count = count
    }

    /// Whether the entities change state.
    public var changesState: Bool { from != to }

    /// `workshop held → took-place (1)`.
    public var description: String { "\(kind) \(from) → \(to) (\(count))" }
  }

  /// The name of the workflow (the same in both versions).
  public let workflow: String
  /// The current version.
  public let fromVersion: String
  /// The new version.
  public let toVersion: String
  /// Every state in use with where it goes, by kind (``EntityKind/allCases`` order), then state name.
  public let moves: [Move]

  /// Where `state` of `kind` goes, or `nil` if it is not in use.
  public func target(of state: String, in kind: EntityKind) -> String? {
    moves.first { $0.kind == kind && $0.from == state }?.to
  }

  /// Plans a migration.
  ///
  /// A state in use goes to the state the mapping names for it (``StateMapping/target(of:in:)``), else to
  /// the state of the same name in the new version's machine.
  ///
  /// - Parameters:
  ///   - old: The version the consultation is on.
  ///   - new: The version to move to; it must have the same name and another version.
  ///   - statesInUse: For each kind, how many of the consultation's entities are in each state.
  ///   - mapping: The explicit mapping.
  /// - Returns: The plan.
  /// - Throws: ``WorkflowMigrationError``: another workflow or the same version; a mapping entry whose
  ///   old state no machine of `old` declares (for a kind-specific entry: that machine), or whose new
  ///   state the new machine lacks; and, listing every one, the states in use with no mapping
  ///   (including every state of a machine the new version does not declare).
  public static func plan(
    from old: WorkflowDefinition, to new: WorkflowDefinition, statesInUse: [EntityKind: [String: Int]],
    mapping: StateMapping
  ) throws(WorkflowMigrationError) -> WorkflowMigrationPlan {
    guard old.name == new.name else { throw .otherWorkflow(current: old.name, given: new.name) }
    guard old.version != new.version else { throw .sameVersion(old.version) }
    for entry in mapping.entries {
      let oldMachines = entry.kind.map { kind in old.machines[kind].map { [$0] } ?? [] } ?? Array(old.machines.values)
      let declaring = oldMachines.filter { $0.hasState(entry.from) }
      guard !declaring.isEmpty else {
        throw .unknownState(
          entry,
          "\(old.name)@\(old.version) declares no state '\(entry.from)'"
            + (entry.kind.map { " for \($0)" } ?? ""))
      }
      // The new state must exist in the new version's machine of every kind the entry applies to.
      for machine in declaring where entry.kind != nil || (statesInUse[machine.kind]?[entry.from] ?? 0) > 0 {
        if new.machines[machine.kind]?.hasState(entry.to) != true {
          throw .unknownState(entry, "\(new.name)@\(new.version) declares no state '\(entry.to)' for \(machine.kind)")
        }
      }
    }
    var moves: [Move] = []
    var unmapped: [Move] = []
    for kind in EntityKind.allCases {
      for (state, count) in (statesInUse[kind] ?? [:]).sorted(by: { $0.key < $1.key }) where count > 0 {
        let target =
          mapping.target(of: state, in: kind) ?? (new.machines[kind]?.hasState(state) == true ? state : nil)
        if let target, new.machines[kind]?.hasState(target) == true {
          moves.append(Move(kind: kind, from: state, to: target, count: count))
        } else {
          unmapped.append(Move(kind: kind, from: state, to: "", count: count))
        }
      }
    }
    guard unmapped.isEmpty else {
      throw .unmappedStates(
        unmapped.map { UnmappedState(kind: $0.kind, state: $0.from, count: $0.count) },
        version: "\(new.name)@\(new.version)")
    }
    return WorkflowMigrationPlan(workflow: old.name, fromVersion: old.version, toVersion: new.version, moves: moves)
  }
}

/// A state in use that the new version lacks and the mapping does not name.
public struct UnmappedState: Sendable, Hashable, CustomStringConvertible {
  /// The machine.
  public let kind: EntityKind
  /// The state.
  public let state: String
  /// How many entities are in it.
  public let count: Int

  /// Creates one.
  public init(kind: EntityKind, state: String, count: Int) {
    self.kind = kind
    self.state = state
    self.count = count
  }

  /// `workshop 'held' (1)`.
  public var description: String { "\(kind) '\(state)' (\(count))" }
}

/// Why a migration cannot be planned: ``WorkflowMigrationPlan/plan(from:to:statesInUse:mapping:)``.
public enum WorkflowMigrationError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A `--map` text that cannot be read: the text and what is wrong.
  case malformedMapping(String, String)
  /// The new definition is another workflow.
  case otherWorkflow(current: String, given: String)
  /// The new version is the current one.
  case sameVersion(String)
  /// A mapping entry names a state one of the versions does not declare.
  case unknownState(StateMapping.Entry, String)
  /// States in use with nowhere to go, every one listed; `version` is the new `name@version`.
  case unmappedStates([UnmappedState], version: String)

  /// One line a user can act on.
  public var description: String {
    switch self {
    case .malformedMapping(let text, let problem):
      return "--map \(text): \(problem)"
    case .otherWorkflow(let current, let given):
      return "the consultation runs workflow '\(current)'; '\(given)' is another workflow"
    case .sameVersion(let version):
      return "the consultation is already on version \(version)"
    case .unknownState(let entry, let problem):
      return "--map \(entry): \(problem)"
    case .unmappedStates(let states, let version):
      let hint = states.map { "--map \($0.kind.rawValue).\($0.state)=STATE" }.joined(separator: " ")
      return "\(version) has no state for: \(states.map(\.description).joined(separator: ", ")); "
        + "map each to a state of the new version (\(hint))"
    }
  }
}
