import ConsultCore
import Testing

@Suite("Guard language")
struct GuardExpressionTests {
  @Test func parsesConditionsJoinedByAnd() throws {
    let parsed = try GuardExpression.parse(
      "workshops.planned == 0 and workshops>=2 and  summaries.published != 3 and invitations.sent<1 and contributions > 4 and workshops.held <= 5",
      for: .consultation)
    #expect(
      parsed.conditions.map(\.comparison) == [
        .equal, .greaterOrEqual, .notEqual, .less, .greater, .lessOrEqual,
      ])
    #expect(parsed.conditions.map(\.value) == [0, 2, 3, 1, 4, 5])
    #expect(parsed.conditions[1].fact == FactReference(relation: .workshops, state: nil))
    #expect(parsed.conditions[2].fact == FactReference(relation: .summaries, state: "published"))
    #expect(
      parsed.description
        == "workshops.planned == 0 and workshops >= 2 and summaries.published != 3 and invitations.sent < 1 "
        + "and contributions > 4 and workshops.held <= 5")
    #expect(try GuardExpression.parse(parsed.description, for: .consultation) == parsed)
  }

  @Test func evaluatesEveryOperatorAndReportsObservedValues() throws {
    let g = try GuardExpression.parse(
      "invitations.accepted >= 3 and invitations.declined < 2", for: .workshop)
    let accepted = try fact("invitations.accepted", .workshop)
    let declined = try fact("invitations.declined", .workshop)
    #expect(g.failures(in: Facts([accepted: 3, declined: 1])).isEmpty)
    #expect(
      g.failures(in: Facts([accepted: 1, declined: 2])).map(\.description)
        == ["needs invitations.accepted >= 3; has 1", "needs invitations.declined < 2; has 2"])
    // A fact not given reads as 0.
    #expect(g.failures(in: Facts()) == [ConditionFailure(condition: g.conditions[0], observed: 0)])
    for (comparison, holds) in [
      (Comparison.greaterOrEqual, [false, true, true]), (.greater, [false, false, true]),
      (.lessOrEqual, [true, true, false]), (.less, [true, false, false]),
      (.equal, [false, true, false]),
      (.notEqual, [true, false, true]),
    ] {
      #expect([1, 2, 3].map { comparison.holds($0, 2) } == holds, "\(comparison.rawValue)")
    }
  }

  @Test func relationTableIsPerMachine() {
    func names(_ kind: EntityKind) -> [String] { Relation.relations(for: kind).map(\.name) }
    #expect(names(.consultation) == ["workshops", "invitations", "contributions", "summaries"])
    #expect(names(.workshop) == ["invitations", "contributions", "summaries", "consultation"])
    for kind in [EntityKind.invitation, .proceedingsSummary, .contribution] {
      #expect(names(kind) == ["workshop", "consultation"])
      #expect(Relation.relations(for: kind).allSatisfy { $0.isParent })
    }
    #expect(Relation.relations(for: .consultation).allSatisfy { !$0.isParent })
    #expect(Relation.relation(named: "summaries", for: .workshop)?.kind == .proceedingsSummary)
    #expect(Relation.relation(named: "workshops", for: .workshop) == nil)
  }

  @Test func factsDefaultToZeroAndDescribeThemselves() throws {
    let held = try fact("workshops.held", .consultation)
    #expect(held.description == "workshops.held")
    #expect(try fact("invitations", .workshop).description == "invitations")
    var values = Facts()
    #expect(values[held] == 0)
    values[held] = 4
    #expect(values[held] == 4)
    let literal: Facts = [held: 2]
    #expect(literal[held] == 2)
    #expect(
      Condition(fact: held, comparison: .greaterOrEqual, value: 3).description
        == "workshops.held >= 3")
  }

  struct BadGuard: Sendable, CustomTestStringConvertible {
    var text: String
    var kind: EntityKind
    var fragment: String
    var offset: Int
    var testDescription: String { "\(kind): \(text)" }
  }

  static let badGuards: [BadGuard] = [
    BadGuard(text: "", kind: .consultation, fragment: "empty guard", offset: 0),
    BadGuard(
      text: "invitations.sent => 1", kind: .consultation, fragment: "unknown operator '=>'",
      offset: 17),
    BadGuard(
      text: "invitations.sent = 1", kind: .consultation, fragment: "unknown operator '='",
      offset: 17),
    BadGuard(
      text: "invitations.sent >= x", kind: .consultation,
      fragment: "expected an integer after '>='", offset: 20),
    BadGuard(
      text: "invitations.sent >=", kind: .consultation,
      fragment: "expected an integer after '>=' at the end", offset: 19),
    BadGuard(
      text: "invitations.sent", kind: .consultation, fragment: "expected an operator", offset: 16),
    BadGuard(
      text: "invitations.sent >= -1", kind: .consultation, fragment: "non-negative integer",
      offset: 20),
    BadGuard(
      text: "invitations.sent >= 99999999999999999999999", kind: .consultation,
      fragment: "too large", offset: 20),
    BadGuard(
      text: "invitations.sent >= 1 or workshops >= 1", kind: .consultation,
      fragment: "'or' is not supported", offset: 22),
    BadGuard(
      text: "invitations.sent >= 1 and", kind: .consultation, fragment: "expected a fact",
      offset: 25),
    BadGuard(
      text: "1 >= invitations.sent", kind: .consultation, fragment: "expected a fact", offset: 0),
    BadGuard(
      text: "invitations.sent >= 1 && workshops >= 1", kind: .consultation,
      fragment: "unexpected '&&'; join conditions with 'and'", offset: 22),
    BadGuard(
      text: "invitations.sent >= 1 workshops >= 1", kind: .consultation,
      fragment: "expected 'and' or the end of the guard, found 'workshops'", offset: 22),
    BadGuard(
      text: "invitations.sent >= 1; drop", kind: .consultation,
      fragment: "unexpected character ';'", offset: 21),
    BadGuard(
      text: "participants >= 1", kind: .consultation,
      fragment: "unknown relation 'participants' for consultation guards", offset: 0),
    BadGuard(
      text: "workshops.held >= 1", kind: .workshop,
      fragment: "unknown relation 'workshops' for workshop guards", offset: 0),
    BadGuard(
      text: "consultation.closed == 1", kind: .consultation,
      fragment: "unknown relation 'consultation'", offset: 0),
    BadGuard(
      text: "workshop >= 1", kind: .invitation,
      fragment: "names the parent workshop; write workshop.STATE", offset: 0),
    BadGuard(
      text: "workshops.held.now >= 1", kind: .consultation, fragment: "malformed fact", offset: 0),
    BadGuard(
      text: "Workshops.Held >= 1", kind: .consultation, fragment: "malformed fact", offset: 0),
  ]

  @Test(arguments: badGuards)
  func rejectsMalformedGuards(_ bad: BadGuard) {
    #expect {
      _ = try GuardExpression.parse(bad.text, for: bad.kind)
    } throws: { error in
      guard let error = error as? GuardError else { return false }
      #expect(error.message.contains(bad.fragment), "\(error.message)")
      #expect(error.offset == bad.offset, "\(error.message)")
      return true
    }
  }
}
