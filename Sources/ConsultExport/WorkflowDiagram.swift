import ConsultCore

/// Renders a workflow's state machines as a diagram: Mermaid `stateDiagram-v2` or Graphviz dot.
///
/// Pure: takes a parsed ``WorkflowDefinition`` and returns text. Each machine becomes one
/// subgraph (a Mermaid composite state, a dot `cluster_` subgraph) unless only one machine is
/// drawn. The initial state is entered from a start marker; final states lead to an end marker
/// (Mermaid `[*]`) or are drawn with a double border (dot `peripheries=2`). Each transition is
/// one edge per `from` state, labelled `event [guard]` (UML's notation), the guard in the
/// canonical form of ``GuardExpression/description``.
public struct WorkflowDiagram: Sendable {
  /// The output notation.
  public enum Format: String, Sendable, CaseIterable {
    /// Mermaid `stateDiagram-v2` (renders on GitHub, GitLab and in many Markdown viewers).
    case mermaid
    /// Graphviz dot (`dot -Tsvg`).
    case dot
  }

  /// The workflow drawn.
  public let workflow: WorkflowDefinition
  /// The machines drawn, in ``EntityKind`` order.
  public let kinds: [EntityKind]

  /// Prepares a diagram of `workflow`.
  ///
  /// - Parameters:
  ///   - workflow: A parsed, valid workflow.
  ///   - kind: One machine to draw, or `nil` for every machine the workflow declares.
  /// - Throws: ``WorkflowError`` if `kind` is given and the workflow has no machine for it.
  public init(_ workflow: WorkflowDefinition, machine kind: EntityKind? = nil) throws(WorkflowError) {
    self.workflow = workflow
    if let kind {
      _ = try workflow.machine(for: kind)
      kinds = [kind]
    } else {
      kinds = EntityKind.allCases.filter { workflow.machines[$0] != nil }
    }
  }

  /// The diagram in `format`, ending with a newline.
  public func render(_ format: Format) -> String {
    switch format {
    case .mermaid: mermaid()
    case .dot: dot()
    }
  }

  /// `event` or `event [guard]`, before escaping.
  static func label(_ transition: Transition) -> String {
    guard let guardExpression = transition.guardExpression else { return transition.event }
    return "\(transition.event) [\(guardExpression)]"
  }

  // MARK: - Mermaid

  /// Mermaid `stateDiagram-v2`. State ids are `KIND_STATE` with `-` turned into `_` (names are
  /// `[a-z0-9-]+`, so this is one-to-one); each state gets a `state "NAME" as ID` label.
  func mermaid() -> String {
    var lines = ["stateDiagram-v2"]
    let nested = kinds.count > 1
    for kind in kinds {
      guard let machine = workflow.machines[kind] else { continue }
      var indent = "  "
      if nested {
        lines.append("  state \"\(Self.mermaidText(kind.rawValue))\" as \(Self.mermaidID(kind.rawValue)) {")
        indent = "    "
      }
      for state in machine.states {
        lines.append("\(indent)state \"\(Self.mermaidText(state.name))\" as \(Self.mermaidID(kind, state.name))")
      }
      lines.append("\(indent)[*] --> \(Self.mermaidID(kind, machine.initialState))")
      for transition in machine.transitions {
        for from in transition.from {
          lines.append(
            "\(indent)\(Self.mermaidID(kind, from)) --> \(Self.mermaidID(kind, transition.to)) : "
              + Self.mermaidText(Self.label(transition)))
        }
      }
      for state in machine.states where state.isFinal {
        lines.append("\(indent)\(Self.mermaidID(kind, state.name)) --> [*]")
      }
      if nested { lines.append("  }") }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func mermaidID(_ kind: EntityKind, _ state: String) -> String {
    mermaidID(kind.rawValue + "--" + state)
  }

  static func mermaidID(_ name: String) -> String {
    name.replacingOccurrences(of: "-", with: "_")
  }

  /// Escapes text for a Mermaid label with Mermaid's entity codes (`#lt;`, `#35;`, …), which
  /// Mermaid decodes in every diagram type: `<`, `>` and `&` (labels are rendered as HTML),
  /// `"` (ends a quoted state name), `#` and `;` (start and end entity codes, and `;` ends a
  /// statement), `%` (starts a `%%` comment), `{`/`}` (composite states); line breaks become
  /// spaces (a label is one line).
  static func mermaidText(_ text: String) -> String {
    var result = ""
    for character in text {
      switch character {
      case "<": result += "#lt;"
      case ">": result += "#gt;"
      case "&": result += "#amp;"
      case "\"": result += "#quot;"
      case "#": result += "#35;"
      case ";": result += "#59;"
      case "%": result += "#37;"
      case "{": result += "#123;"
      case "}": result += "#125;"
      case "\n", "\r", "\r\n": result += " "
      default: result.append(character)
      }
    }
    return result
  }

  // MARK: - Graphviz dot

  /// Graphviz dot: node ids are quoted `KIND/STATE`, so states of different machines never meet.
  func dot() -> String {
    var lines = [
      "digraph \(Self.dotString(workflow.name)) {",
      "  label=\(Self.dotString("\(workflow.title) (\(workflow.name) version \(workflow.version))"));",
      "  labelloc=t;",
      "  rankdir=LR;",
      "  node [shape=box, style=rounded];",
    ]
    let nested = kinds.count > 1
    for kind in kinds {
      guard let machine = workflow.machines[kind] else { continue }
      var indent = "  "
      if nested {
        lines.append("  subgraph \(Self.dotString("cluster_\(kind.rawValue)")) {")
        lines.append("    label=\(Self.dotString(kind.rawValue));")
        indent = "    "
      }
      let start = Self.dotString("\(kind.rawValue)/[start]")
      lines.append("\(indent)\(start) [shape=point, label=\"\"];")
      for state in machine.states {
        let attributes = state.isFinal ? ", peripheries=2" : ""
        lines.append(
          "\(indent)\(Self.dotNode(kind, state.name)) [label=\(Self.dotString(state.name))\(attributes)];")
      }
      lines.append("\(indent)\(start) -> \(Self.dotNode(kind, machine.initialState));")
      for transition in machine.transitions {
        for from in transition.from {
          lines.append(
            "\(indent)\(Self.dotNode(kind, from)) -> \(Self.dotNode(kind, transition.to)) "
              + "[label=\(Self.dotString(Self.label(transition)))];")
        }
      }
      if nested { lines.append("  }") }
    }
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }

  static func dotNode(_ kind: EntityKind, _ state: String) -> String {
    dotString("\(kind.rawValue)/\(state)")
  }

  /// A dot double-quoted string (Graphviz docs, "Lexical and Semantic Notes"): `"` and `\` are
  /// escaped with a backslash (a lone `\` would start an escString sequence such as `\n`), and a
  /// line break becomes `\n`.
  static func dotString(_ text: String) -> String {
    var result = "\""
    for character in text {
      switch character {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n", "\r", "\r\n": result += "\\n"
      default: result.append(character)
      }
    }
    return result + "\""
  }
}
