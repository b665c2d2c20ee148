import ConsultCore
import Foundation

/// The shipped workflow file, read relative to this source file (the test's only I/O).
enum Shipped {
  static let path: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("Workflows/white-paper.yaml")
    .path

  static func text() throws -> String {
    try String(contentsOfFile: path, encoding: .utf8)
  }

  static func workflow() throws -> WorkflowDefinition {
    try WorkflowDefinition.parse(yaml: text(), file: "white-paper.yaml")
  }
}

/// A fact reference from its guard spelling, for `kind`'s machine.
func fact(_ text: String, _ kind: EntityKind) throws -> FactReference {
  try FactReference.parse(text, for: kind)
}

/// Facts from guard spellings: `facts(.workshop, ["invitations.accepted": 2])`.
func facts(_ kind: EntityKind, _ values: [String: Int]) throws -> Facts {
  var result = Facts()
  for (text, value) in values { result[try fact(text, kind)] = value }
  return result
}

/// Facts under which every condition of `guardExpression` holds.
func satisfying(_ guardExpression: GuardExpression?) -> Facts {
  var result = Facts()
  for condition in guardExpression?.conditions ?? [] {
    result[condition.fact] =
      switch condition.comparison {
      case .greaterOrEqual, .lessOrEqual, .equal: condition.value
      case .greater, .notEqual: condition.value + 1
      case .less: condition.value - 1
      }
  }
  return result
}

/// Facts under which every condition of `guardExpression` fails.
func violating(_ guardExpression: GuardExpression?) -> Facts {
  var result = Facts()
  for condition in guardExpression?.conditions ?? [] {
    result[condition.fact] =
      switch condition.comparison {
      case .greaterOrEqual: condition.value - 1
      case .greater, .lessOrEqual, .equal: condition.value + 1
      case .less: condition.value
      case .notEqual: condition.value
      }
  }
  return result
}

/// A minimal valid workflow file whose consultation machine has the states `open` (initial),
/// `closed` (final) and `extraStates` (YAML `name: {…}` entries), and `transitions` (YAML list
/// lines, indented for the machine's `transitions:` key) — the base the malformed-file tests edit.
func minimalWorkflow(transitions: String, extraStates: [String] = []) -> String {
  let states = (["open: {}", "closed: { final: true }"] + extraStates).map { "      " + $0 }.joined(separator: "\n")
  return """
    workflow: test
    version: 1
    title: Test
    machines:
      consultation:
        initial: open
        states:
    \(states)
        transitions:
    \(transitions)
    """
}
