/// A named link from an entity of one kind to related entities, readable in guards.
///
/// Plural relations (`workshops`, `invitations`, `contributions`, `summaries`) count the
/// entity's **children**; singular relations (`consultation`, `workshop`) name its **parent**.
/// Which relations each machine may read is fixed by ``relations(for:)``: the core owns that
/// table, and the store computes the facts from it.
public struct Relation: Sendable, Hashable {
  /// The name used in guards, such as `workshops` or `consultation`.
  public let name: String
  /// The kind of the related entities (children or parent).
  public let kind: EntityKind
  /// `true` if the relation names the single parent entity; `false` if it counts children.
  public let isParent: Bool

  /// Creates a relation. Prefer ``relations(for:)`` or ``relation(named:for:)``, which return
  /// only the relations the core knows.
  public init(name: String, kind: EntityKind, isParent: Bool) {
    self.name = name
    self.kind = kind
    self.isParent = isParent
  }

  /// Counts child workshops.
  public static let workshops = Relation(name: "workshops", kind: .workshop, isParent: false)
  /// Counts child invitations.
  public static let invitations = Relation(name: "invitations", kind: .invitation, isParent: false)
  /// Counts child contributions.
  public static let contributions = Relation(
    name: "contributions", kind: .contribution, isParent: false)
  /// Counts child proceedings summaries.
  public static let summaries = Relation(
    name: "summaries", kind: .proceedingsSummary, isParent: false)
  /// Counts the draft's comments.
  public static let comments = Relation(name: "comments", kind: .comment, isParent: false)
  /// Names the comment's draft.
  public static let draft = Relation(name: "draft", kind: .draft, isParent: true)
  /// Names the parent consultation.
  public static let consultation = Relation(
    name: "consultation", kind: .consultation, isParent: true)
  /// Names the parent workshop (absent for entities that belong to no workshop).
  public static let workshop = Relation(name: "workshop", kind: .workshop, isParent: true)

  /// The relations that guards of `kind`'s machine may read, in a fixed order.
  ///
  /// - consultation: workshops, invitations, contributions, summaries
  /// - workshop: invitations, contributions, summaries, consultation
  /// - invitation, contribution, proceedings-summary: workshop, consultation
  /// - draft: comments, consultation
  /// - comment: draft, consultation
  ///
  /// - Parameter kind: The kind whose machine's guards are being read or computed.
  /// - Returns: The relations, children first, then parents.
  public static func relations(for kind: EntityKind) -> [Relation] {
    switch kind {
    case .consultation: [.workshops, .invitations, .contributions, .summaries]
    case .workshop: [.invitations, .contributions, .summaries, .consultation]
    case .invitation, .proceedingsSummary, .contribution: [.workshop, .consultation]
    case .draft: [.comments, .consultation]
    case .comment: [.draft, .consultation]
    }
  }

  /// Looks up a relation by its guard name for `kind`'s machine.
  ///
  /// - Returns: The relation, or `nil` if `kind`'s machine has no relation called `name`.
  public static func relation(named name: String, for kind: EntityKind) -> Relation? {
    relations(for: kind).first { $0.name == name }
  }
}

/// One number a guard can read: a relation, optionally narrowed to one state.
///
/// For a child relation, `workshops` is the number of child workshops and `workshops.held` the
/// number of them currently in state `held`. For a parent relation, `workshop.held` is 1 if the
/// parent workshop is in state `held` and 0 otherwise (also 0 when there is no parent).
public struct FactReference: Sendable, Hashable, CustomStringConvertible {
  /// The relation read.
  public let relation: Relation
  /// The state counted, or `nil` to count every related child.
  public let state: String?

  /// Creates a reference; no validation (see ``parse(_:for:)``).
  public init(relation: Relation, state: String? = nil) {
    self.relation = relation
    self.state = state
  }

  /// Parses `RELATION` or `RELATION.STATE` as written in guards, for `kind`'s machine.
  ///
  /// - Throws: ``GuardError`` if the text is malformed, names a relation `kind`'s machine does
  ///   not have, or names a parent relation without a state. Whether the state exists is not
  ///   checked here (that needs a workflow; ``WorkflowDefinition/parse(yaml:file:)`` checks it).
  public static func parse(_ text: String, for kind: EntityKind) throws(GuardError) -> FactReference {
    try GuardParser.fact(text, offset: 0, for: kind)
  }

  /// `relation` or `relation.state`, as written in guards: `workshops.held`.
  public var description: String {
    state.map { "\(relation.name).\($0)" } ?? relation.name
  }
}

/// The observed values of the facts an entity's guards read, as computed by the store.
///
/// A fact that is not given reads as 0: no children in that state, or the parent not in it.
public struct Facts: Sendable {
  /// The given values; facts not listed read as 0.
  public private(set) var values: [FactReference: Int]

  /// Creates facts from observed values.
  public init(_ values: [FactReference: Int] = [:]) {
    self.values = values
  }

  /// The observed value of `ref`; 0 if it was not given.
  public subscript(_ ref: FactReference) -> Int {
    get { values[ref] ?? 0 }
    set { values[ref] = newValue }
  }
}

extension Facts: ExpressibleByDictionaryLiteral {
  /// Creates facts from a literal such as `[FactReference(relation: .workshops): 2]`.
  public init(dictionaryLiteral elements: (FactReference, Int)...) {
    self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
  }
}
