import ConsultCore
import Foundation
import PropertyBased
import Testing

/// Property: random event sequences, under random guard facts, never take any machine of any
/// shipped workflow out of its declared states, and never out of a final state.
@Suite("Random event sequences on the shipped workflows")
struct RandomEventSequenceTests {
  /// Every `*.yaml` in `Workflows/`, parsed (the test's only I/O).
  static func shippedWorkflows() throws -> [WorkflowDefinition] {
    let directory = URL(fileURLWithPath: Shipped.path).deletingLastPathComponent()
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
      .filter { $0.hasSuffix(".yaml") }.sorted()
    return try files.map { file in
      try WorkflowDefinition.parse(
        yaml: try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8), file: file)
    }
  }

  @Test func everyShippedWorkflowIsFound() throws {
    #expect(try Self.shippedWorkflows().map(\.name).contains("white-paper"))
  }

  /// One random step: which event to try (an index into the machine's events plus one unknown
  /// event), and the values the guard facts read (small, so guards both pass and fail).
  static let steps = zip(Gen.int(in: 0...1_000), Gen.int(in: 0...Int(Int32.max))).array(of: 0...60)

  @Test func randomEventsStayInDeclaredStates() async throws {
    let machines = try Self.shippedWorkflows().flatMap { workflow in
      workflow.machines.values.sorted { $0.kind.rawValue < $1.kind.rawValue }.map { (workflow.name, $0) }
    }
    for (workflow, machine) in machines {
      let facts = machine.requiredFacts.sorted { $0.description < $1.description }
      let events = machine.events + ["no-such-event"]
      await propertyCheck(count: 60, input: Self.steps) { steps in
        var state = machine.initialState
        var visited = [state]
        for (pick, seed) in steps {
          let event = events[pick % events.count]
          var values = Facts()
          for (index, fact) in facts.enumerated() { values[fact] = (seed >> (2 * (index % 15))) & 3 }
          let wasFinal = machine.isFinal(state)
          switch machine.decide(state: state, event: event, facts: values) {
          case .success(let transition):
            #expect(!wasFinal, "\(workflow)/\(machine.kind): '\(event)' left final state '\(state)'")
            #expect(transition.from.contains(state))
            state = transition.to
          case .failure(let refusal):
            #expect(refusal.state == state)
            #expect(!refusal.allowedEvents.contains(event) || event == "no-such-event")
          }
          visited.append(state)
          #expect(
            machine.hasState(state), "\(workflow)/\(machine.kind) reached undeclared '\(state)' via \(visited)")
        }
      }
    }
  }
}
