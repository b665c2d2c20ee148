import ConsultCore
import Testing

@testable import ConsultExport

/// `consult workflow graph`'s renderer, checked against golden output.
@Suite("Workflow diagrams")
struct WorkflowDiagramTests {
  static let yaml = """
    workflow: tiny
    version: 2
    title: A "tiny" workflow
    machines:
      consultation:
        initial: open
        states:
          open: {}
          in-review: {}
          closed: { final: true }
        transitions:
          - event: review
            from: open
            to: in-review
            guard: "workshops.held >= 1 and invitations < 3"
          - event: close
            from: [open, in-review]
            to: closed
      workshop:
        initial: planned
        states:
          planned: {}
          held: { final: true }
        transitions:
          - event: hold
            from: planned
            to: held
            guard: "consultation.open != 0"
    """

  static func workflow() throws -> WorkflowDefinition {
    try WorkflowDefinition.parse(yaml: yaml, file: "tiny.yaml")
  }

  @Test func mermaidForOneMachine() throws {
    let diagram = try WorkflowDiagram(Self.workflow(), machine: .consultation)
    #expect(
      diagram.render(.mermaid) == """
        stateDiagram-v2
          state "open" as consultation__open
          state "in-review" as consultation__in_review
          state "closed" as consultation__closed
          [*] --> consultation__open
          consultation__open --> consultation__in_review : review [workshops.held #gt;= 1 and invitations #lt; 3]
          consultation__open --> consultation__closed : close
          consultation__in_review --> consultation__closed : close
          consultation__closed --> [*]

        """)
  }

  @Test func mermaidForAllMachinesNestsEachInACompositeState() throws {
    let diagram = try WorkflowDiagram(Self.workflow())
    #expect(
      diagram.render(.mermaid) == """
        stateDiagram-v2
          state "consultation" as consultation {
            state "open" as consultation__open
            state "in-review" as consultation__in_review
            state "closed" as consultation__closed
            [*] --> consultation__open
            consultation__open --> consultation__in_review : review [workshops.held #gt;= 1 and invitations #lt; 3]
            consultation__open --> consultation__closed : close
            consultation__in_review --> consultation__closed : close
            consultation__closed --> [*]
          }
          state "workshop" as workshop {
            state "planned" as workshop__planned
            state "held" as workshop__held
            [*] --> workshop__planned
            workshop__planned --> workshop__held : hold [consultation.open != 0]
            workshop__held --> [*]
          }

        """)
  }

  @Test func dotForAllMachinesUsesOneClusterEach() throws {
    let diagram = try WorkflowDiagram(Self.workflow())
    #expect(
      diagram.render(.dot) == #"""
        digraph "tiny" {
          label="A \"tiny\" workflow (tiny version 2)";
          labelloc=t;
          rankdir=LR;
          node [shape=box, style=rounded];
          subgraph "cluster_consultation" {
            label="consultation";
            "consultation/[start]" [shape=point, label=""];
            "consultation/open" [label="open"];
            "consultation/in-review" [label="in-review"];
            "consultation/closed" [label="closed", peripheries=2];
            "consultation/[start]" -> "consultation/open";
            "consultation/open" -> "consultation/in-review" [label="review [workshops.held >= 1 and invitations < 3]"];
            "consultation/open" -> "consultation/closed" [label="close"];
            "consultation/in-review" -> "consultation/closed" [label="close"];
          }
          subgraph "cluster_workshop" {
            label="workshop";
            "workshop/[start]" [shape=point, label=""];
            "workshop/planned" [label="planned"];
            "workshop/held" [label="held", peripheries=2];
            "workshop/[start]" -> "workshop/planned";
            "workshop/planned" -> "workshop/held" [label="hold [consultation.open != 0]"];
          }
        }

        """#)
  }

  @Test func dotForOneMachineHasNoCluster() throws {
    let text = try WorkflowDiagram(Self.workflow(), machine: .workshop).render(.dot)
    #expect(!text.contains("subgraph"))
    #expect(text.contains("  \"workshop/held\" [label=\"held\", peripheries=2];\n"))
  }

  @Test func escaping() {
    #expect(WorkflowDiagram.mermaidText("a<b>c&\"#;%{}\nd") == "a#lt;b#gt;c#amp;#quot;#35;#59;#37;#123;#125; d")
    #expect(WorkflowDiagram.dotString("say \"hi\" \\ there\n") == #""say \"hi\" \\ there\n""#)
  }

  @Test func anUndeclaredMachineIsAnError() throws {
    #expect(throws: WorkflowError.self) {
      _ = try WorkflowDiagram(Self.workflow(), machine: .invitation)
    }
  }
}
