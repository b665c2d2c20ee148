/// A comparison operator of the guard language.
public enum Comparison: String, Sendable, CaseIterable {
  /// `>=`
  case greaterOrEqual = ">="
  /// `>`
  case greater = ">"
  /// `<=`
  case lessOrEqual = "<="
  /// `<`
  case less = "<"
  /// `==`
  case equal = "=="
  /// `!=`
  case notEqual = "!="

  /// Applies the operator: `observed OP expected`.
  ///
  /// - Returns: Whether the comparison holds.
  public func holds(_ observed: Int, _ expected: Int) -> Bool {
    switch self {
    case .greaterOrEqual: observed >= expected
    case .greater: observed > expected
    case .lessOrEqual: observed <= expected
    case .less: observed < expected
    case .equal: observed == expected
    case .notEqual: observed != expected
    }
  }
}

/// One condition of a guard: `FACT OP INTEGER`, such as `invitations.accepted >= 3`.
public struct Condition: Sendable, Hashable, CustomStringConvertible {
  /// The fact read.
  public let fact: FactReference
  /// The operator.
  public let comparison: Comparison
  /// The integer the fact is compared with (never negative).
  public let value: Int

  /// Creates a condition; no validation.
  public init(fact: FactReference, comparison: Comparison, value: Int) {
    self.fact = fact
    self.comparison = comparison
    self.value = value
  }

  /// Whether the condition holds for `facts` (a missing fact reads as 0).
  public func holds(in facts: Facts) -> Bool {
    comparison.holds(facts[fact], value)
  }

  /// The condition as written in guards: `invitations.accepted >= 3`.
  public var description: String { "\(fact) \(comparison.rawValue) \(value)" }
}

/// A condition that did not hold, with the value observed.
public struct ConditionFailure: Sendable, Hashable, CustomStringConvertible {
  /// The condition that failed.
  public let condition: Condition
  /// The value of its fact when it was checked.
  public let observed: Int

  /// Creates a failure record.
  public init(condition: Condition, observed: Int) {
    self.condition = condition
    self.observed = observed
  }

  /// `needs invitations.accepted >= 3; has 1`; the observed value grouped like every count
  /// consult prints (`has 12,000`), the condition as written in the workflow file.
  public var description: String { "needs \(condition); has \(Phrasing.grouped(observed))" }
}

/// Why a guard's text could not be parsed.
public struct GuardError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What is wrong, without position.
  public let message: String
  /// Where in the guard text, counted in Unicode scalars from 0 (as YAML columns are counted).
  public let offset: Int

  /// Creates an error.
  public init(message: String, offset: Int) {
    self.message = message
    self.offset = offset
  }

  /// The message.
  public var description: String { message }
}

/// A parsed transition guard: conditions that must all hold.
///
/// Grammar: `condition ("and" condition)*`, where condition = `FACT OP INTEGER`, `OP` is one of
/// `>= > <= < == !=`, and `FACT` is `RELATION` or `RELATION.STATE` (see ``FactReference``).
/// Guards are parsed, never evaluated as code.
public struct GuardExpression: Sendable, Hashable, CustomStringConvertible {
  /// The conditions, in written order; all must hold.
  public let conditions: [Condition]

  /// Creates a guard from conditions; no validation.
  public init(conditions: [Condition]) {
    self.conditions = conditions
  }

  /// Parses a guard for `kind`'s machine.
  ///
  /// - Parameters:
  ///   - text: The guard as written, e.g. `workshops.planned == 0 and workshops.held == 0`.
  ///   - kind: The machine the guard belongs to; decides which relations exist
  ///     (``Relation/relations(for:)``).
  /// - Returns: The guard.
  /// - Throws: ``GuardError`` for a syntax error, an unknown operator, a negative or too large
  ///   integer, an unknown relation, or a parent relation without a state. Whether each state
  ///   exists is checked by ``WorkflowDefinition/parse(yaml:file:)``, which knows the machines.
  public static func parse(_ text: String, for kind: EntityKind) throws(GuardError)
    -> GuardExpression
  {
    try GuardParser.parse(text, for: kind).expression
  }

  /// The conditions that do not hold for `facts`, each with its observed value; empty if the
  /// guard passes.
  public func failures(in facts: Facts) -> [ConditionFailure] {
    conditions.compactMap { condition in
      condition.holds(in: facts)
        ? nil : ConditionFailure(condition: condition, observed: facts[condition.fact])
    }
  }

  /// The facts the guard reads.
  public var facts: Set<FactReference> { Set(conditions.map(\.fact)) }

  /// The guard in canonical form: conditions joined by ` and `.
  public var description: String { conditions.map(\.description).joined(separator: " and ") }

  /// Whether this guard and `other` provably never hold together, so two transitions of the
  /// same event from the same state may carry them (the workflow lint's overlap rule).
  ///
  /// The rule is deliberately simple and sound (it may miss a disjoint pair, never the other
  /// way): the guards are disjoint when, for some fact both read, the values each allows do not
  /// meet. The values a guard allows for a fact are the integers ≥ 0 (facts are counts) inside
  /// the range its `>=`, `>`, `<=`, `<` and `==` conditions on that fact give, minus the values
  /// its `!=` conditions exclude; so `F == 0` / `F == 1`, `F >= 3` / `F < 3` and `F == 2` /
  /// `F != 2` are disjoint, while `F >= 1` / `G == 0` (different facts) are not.
  ///
  /// - Parameter other: The other transition's guard.
  /// - Returns: `true` if no facts satisfy both guards by the rule above.
  public func isDisjoint(from other: GuardExpression) -> Bool {
    for fact in facts.intersection(other.facts) {
      let mine = ValueSet(conditions.filter { $0.fact == fact })
      let theirs = ValueSet(other.conditions.filter { $0.fact == fact })
      if mine.intersected(with: theirs).isEmpty { return true }
    }
    return false
  }
}

/// The integers ≥ 0 a guard's conditions on one fact allow: a closed range minus single values.
private struct ValueSet {
  var lower = 0
  var upper: Int?  // nil: unbounded
  var excluded: Set<Int> = []

  init(_ conditions: [Condition]) {
    for condition in conditions {
      let value = condition.value
      switch condition.comparison {
      case .greaterOrEqual: raiseLower(to: value)
      case .greater: raiseLower(to: value + 1)
      case .lessOrEqual: lowerUpper(to: value)
      case .less: lowerUpper(to: value - 1)
      case .equal:
        raiseLower(to: value)
        lowerUpper(to: value)
      case .notEqual: excluded.insert(value)
      }
    }
  }

  private mutating func raiseLower(to value: Int) { lower = max(lower, value) }
  private mutating func lowerUpper(to value: Int) { upper = min(upper ?? value, value) }

  func intersected(with other: ValueSet) -> ValueSet {
    var result = self
    result.raiseLower(to: other.lower)
    if let bound = other.upper { result.lowerUpper(to: bound) }
    result.excluded.formUnion(other.excluded)
    return result
  }

  /// Whether no integer is allowed: an empty range, or a one-value range whose value is excluded.
  /// (A longer range minus finitely many values could still be empty; that case is not needed
  /// for soundness and is treated as non-empty unless every value in it is excluded.)
  var isEmpty: Bool {
    guard let upper else { return false }
    if lower > upper { return true }
    return (lower...upper).count <= excluded.count && (lower...upper).allSatisfy(excluded.contains)
  }
}

/// The guard language's parser: a tokenizer and a recursive-descent reader.
enum GuardParser {
  /// A parsed guard with, for each condition, where its fact starts in the text.
  struct Located {
    var expression: GuardExpression
    var factOffsets: [Int]
  }

  private enum TokenKind: Equatable {
    case word(String)
    case number(String)
    case op(String)
  }

  private struct Token {
    var kind: TokenKind
    var offset: Int

    var text: String {
      switch kind {
      case .word(let text), .number(let text), .op(let text): text
      }
    }
  }

  private static func isWordStart(_ c: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_"
  }

  private static func isWordPart(_ c: Unicode.Scalar) -> Bool {
    isWordStart(c) || isDigit(c) || c == "-" || c == "."
  }

  private static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }

  private static func isOperatorPart(_ c: Unicode.Scalar) -> Bool {
    "<>=!".unicodeScalars.contains(c)
  }

  private static func tokenize(_ text: String) throws(GuardError) -> [Token] {
    let scalars = Array(text.unicodeScalars)
    var tokens: [Token] = []
    var i = 0
    func run(from start: Int, while predicate: (Unicode.Scalar) -> Bool) -> String {
      var end = start
      while end < scalars.count, predicate(scalars[end]) { end += 1 }
      var result = String.UnicodeScalarView()
      result.append(contentsOf: scalars[start..<end])
      return String(result)
    }
    while i < scalars.count {
      let c = scalars[i]
      if c.properties.isWhitespace {
        i += 1
      } else if isWordStart(c) {
        let word = run(from: i, while: isWordPart)
        tokens.append(Token(kind: .word(word), offset: i))
        i += word.unicodeScalars.count
      } else if isDigit(c) || (c == "-" && i + 1 < scalars.count && isDigit(scalars[i + 1])) {
        let number = "\(c == "-" ? "-" : "")" + run(from: c == "-" ? i + 1 : i, while: isDigit)
        tokens.append(Token(kind: .number(number), offset: i))
        i += number.unicodeScalars.count
      } else if isOperatorPart(c) {
        let op = run(from: i, while: isOperatorPart)
        tokens.append(Token(kind: .op(op), offset: i))
        i += op.unicodeScalars.count
      } else if c == "&" || c == "|" {
        let symbol = run(from: i) { $0 == c }
        throw GuardError(
          message: "unexpected '\(symbol)'; join conditions with 'and' ('or' is not supported)",
          offset: i)
      } else {
        throw GuardError(message: "unexpected character '\(c)'", offset: i)
      }
    }
    return tokens
  }

  /// Parses `text` (see ``GuardExpression``), keeping where each fact starts.
  static func parse(_ text: String, for kind: EntityKind) throws(GuardError) -> Located {
    let tokens = try tokenize(text)
    let end = text.unicodeScalars.count
    guard !tokens.isEmpty else {
      throw GuardError(
        message: "empty guard; expected a condition such as 'invitations.sent >= 1'", offset: 0)
    }
    var conditions: [Condition] = []
    var offsets: [Int] = []
    var index = 0
    func next(_ expected: String) throws(GuardError) -> Token {
      guard index < tokens.count else {
        throw GuardError(message: "expected \(expected) at the end of the guard", offset: end)
      }
      defer { index += 1 }
      return tokens[index]
    }
    while true {
      let factToken = try next("a fact such as 'workshops.held'")
      guard case .word(let factText) = factToken.kind else {
        throw GuardError(
          message: "expected a fact such as 'workshops.held', found '\(factToken.text)'",
          offset: factToken.offset)
      }
      let fact = try self.fact(factText, offset: factToken.offset, for: kind)

      let opToken = try next("an operator (>=, >, <=, <, ==, !=) after '\(factText)'")
      guard case .op(let opText) = opToken.kind else {
        throw GuardError(
          message:
            "expected an operator (>=, >, <=, <, ==, !=) after '\(factText)', found '\(opToken.text)'",
          offset: opToken.offset)
      }
      guard let comparison = Comparison(rawValue: opText) else {
        throw GuardError(
          message: "unknown operator '\(opText)'; use one of >=, >, <=, <, ==, !=",
          offset: opToken.offset)
      }

      let valueToken = try next("an integer after '\(opText)'")
      guard case .number(let numberText) = valueToken.kind else {
        throw GuardError(
          message: "expected an integer after '\(opText)', found '\(valueToken.text)'",
          offset: valueToken.offset)
      }
      guard !numberText.hasPrefix("-") else {
        throw GuardError(
          message: "expected a non-negative integer (facts are counts), found '\(numberText)'",
          offset: valueToken.offset)
      }
      guard let value = Int(numberText) else {
        throw GuardError(message: "integer '\(numberText)' is too large", offset: valueToken.offset)
      }
      conditions.append(Condition(fact: fact, comparison: comparison, value: value))
      offsets.append(factToken.offset)

      guard index < tokens.count else { break }
      let joiner = tokens[index]
      index += 1
      guard joiner.kind == .word("and") else {
        let hint =
          joiner.kind == .word("or") ? " ('or' is not supported; use separate transitions)" : ""
        throw GuardError(
          message: "expected 'and' or the end of the guard, found '\(joiner.text)'\(hint)",
          offset: joiner.offset)
      }
    }
    return Located(expression: GuardExpression(conditions: conditions), factOffsets: offsets)
  }

  /// Parses `RELATION` or `RELATION.STATE` for `kind`'s machine; `offset` locates errors.
  static func fact(_ text: String, offset: Int, for kind: EntityKind) throws(GuardError)
    -> FactReference
  {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    guard parts.count <= 2, parts.allSatisfy(WorkflowNames.isValid) else {
      throw GuardError(
        message:
          "malformed fact '\(text)'; expected RELATION or RELATION.STATE in lowercase-hyphen names",
        offset: offset)
    }
    let known = Relation.relations(for: kind)
    guard let relation = known.first(where: { $0.name == parts[0] }) else {
      throw GuardError(
        message: "unknown relation '\(parts[0])' for \(kind) guards; known: "
          + known.map(\.name).joined(separator: ", "),
        offset: offset)
    }
    let state = parts.count == 2 ? parts[1] : nil
    if relation.isParent, state == nil {
      throw GuardError(
        message:
          "'\(relation.name)' names the parent \(relation.kind); write \(relation.name).STATE",
        offset: offset)
    }
    return FactReference(relation: relation, state: state)
  }
}

/// The naming rule for workflows, states and events.
enum WorkflowNames {
  /// Non-empty, only lowercase ASCII letters, digits and hyphens: `[a-z0-9-]+`.
  static func isValid(_ name: String) -> Bool {
    !name.isEmpty
      && name.unicodeScalars.allSatisfy {
        ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
      }
  }
}
