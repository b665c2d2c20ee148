import Foundation
import Testing

/// The command-line conventions every command follows (issue 9, items 9 and 10): the version,
/// one JSON key style, `--actor` only where a change records it, one option name per thing,
/// rules instead of constraint names, suggestions for near misses, numbers and plurals, export
/// destinations, completions and the manual page, search snippets, attribution fields and PDF
/// paper sizes. Each runs the built binary against a fresh database.
@Suite("Command-line conventions")
struct ConventionsTests {
  /// Parses standard output as a JSON object.
  static func object(_ outcome: CLI.Outcome) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
  }

  /// Every key of a JSON value, at any depth, except the keys of `counts` (state names, i.e. data).
  static func keys(_ value: Any) -> [String] {
    if let object = value as? [String: Any] {
      return object.flatMap { key, nested in [key] + (key == "counts" ? [] : keys(nested)) }
    }
    if let array = value as? [Any] { return array.flatMap(keys) }
    return []
  }

  /// Whether a key is snake_case: lower-case letters, digits and underscores.
  static func isSnakeCase(_ key: String) -> Bool {
    key.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
  }

  @Test("consult --version prints the version")
  func version() throws {
    let cli = try CLI()
    let outcome = try cli.ok(["--version"])
    #expect(outcome.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, "\(outcome.stdout)")
  }

  /// Commands that record no actor: they read, or change what keeps no author.
  static let withoutActor: [[String]] = [
    ["list"], ["show", "wp"], ["log", "wp"], ["log", "check"], ["theme", "list", "wp"], ["stakeholder", "list"],
    ["stakeholder", "groups"], ["workshop", "list", "wp"], ["invitation", "list", "wp", "ws"],
    ["contributions", "list", "wp"], ["contributions", "campaigns", "wp"], ["contributions", "search", "wp", "x"],
    ["summary", "show", "wp", "ws"], ["export", "summary", "wp"], ["export", "contributions", "wp"],
    ["export", "attendance", "wp"], ["export", "calendar", "wp"], ["export", "template", "html"],
    ["workflow", "list"], ["workflow", "graph", "white-paper"], ["db", "status"], ["db", "migrate"],
    ["theme", "add", "wp", "k", "--title", "T"], ["stakeholder", "add", "h", "--name", "N"],
    ["workshop", "attendance-list", "wp", "ws"], ["deadline", "set", "wp", "2030-01-01"], ["deadline", "clear", "wp"],
    ["summary", "edit", "wp", "ws", "--text", "x"], ["tick"],
  ]

  /// Commands whose changes record who made them.
  static let withActor: [[String]] = [
    ["open"], ["advance"], ["workshop", "add"], ["workshop", "advance"], ["workshop", "reschedule"], ["invite"],
    ["rsvp"], ["attendance"], ["invitation", "advance"], ["contribute"], ["contributions", "import"],
    ["contributions", "tag"], ["summary", "draft"], ["summary", "advance"], ["workflow", "migrate"],
  ]

  @Test("--actor only where a change records it; its help names $CONSULT_ACTOR")
  func actorOnlyOnWritingCommands() throws {
    let cli = try CLI()
    for command in Self.withoutActor {
      let outcome = try cli.run(command + ["--actor", "someone"])
      #expect(outcome.status == 2, "consult \(command.joined(separator: " ")) --actor: \(outcome.stderr)")
      #expect(outcome.stderr.contains("Unknown option '--actor'"), "\(command): \(outcome.stderr)")
    }
    for command in Self.withActor {
      let help = try cli.ok(command + ["--help"]).stdout
      #expect(help.contains("--actor <name>"), "\(command)")
      #expect(help.contains("$CONSULT_ACTOR, else the login name"), "\(command): \(help)")
    }
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "wp", "--title", "White Paper", "--actor", "planner"])
    let log = try cli.ok(["log", "wp", "--json"])
    let entries = try #require(try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [[String: Any]])
    #expect(entries.first?["actor"] as? String == "planner")
  }

  @Test("one option name per thing: theme add --title, workflow graph --kind, export template --format")
  func sameOptionNames() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "wp", "--title", "White Paper"])
    let added = try cli.ok(["theme", "add", "wp", "instruments", "--title", "Instruments and alliances", "--json"])
    #expect(try Self.object(added)["title"] as? String == "Instruments and alliances")
    #expect(try cli.ok(["theme", "list", "wp"]).stdout.contains("instruments\tInstruments and alliances"))
    #expect(try cli.run(["theme", "add", "wp", "other", "Other title"]).status == 2)
    let graph = try cli.ok(["workflow", "graph", "white-paper", "--kind", "workshop"]).stdout
    #expect(graph.contains("workshop__planned") && !graph.contains("consultation__"), "\(graph)")
    #expect(try cli.ok(["workflow", "graph", "white-paper", "--machine", "workshop"]).stdout == graph)
    #expect(try cli.run(["workflow", "graph", "white-paper", "--kind", "workshops"]).status == 2)
    let template = try cli.ok(["export", "template", "--format", "html"]).stdout
    #expect(template.contains("<html"))
    #expect(try cli.ok(["export", "template", "html"]).stdout == template)
    #expect(try cli.ok(["export", "template"]).stdout.contains("## "))
    for command in [["open"], ["workshop", "add"], ["summary", "draft"], ["summary", "edit"], ["theme", "add"]] {
      #expect(try cli.ok(command + ["--help"]).stdout.contains("--title <title>"), "\(command)")
    }
  }

  @Test("every --json output and JSON export uses snake_case keys")
  func snakeCaseJSON() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "wp", "--title", "White Paper", "--theme", "cyber=Cyber security", "--owner", "Ministry"])
    try cli.ok(["stakeholder", "add", "host", "--kind", "organisation", "--name", "Host", "--group", "ministries"])
    try cli.ok(["stakeholder", "add", "expert", "--name", "Expert", "--group", "academia"])
    try cli.ok([
      "workshop", "add", "wp", "ws", "--title", "Workshop", "--starts", "2015-09-17T09:30", "--ends",
      "2015-09-17T17:00", "--time-zone", "Europe/Berlin", "--host", "host",
    ])
    try cli.ok(["invite", "wp", "ws", "expert", "--send"])
    try cli.ok(["advance", "wp", "open-participation"])
    try cli.ok(["workshop", "advance", "wp", "ws", "schedule"])
    try cli.ok(["rsvp", "wp", "ws", "expert", "accept"])
    try cli.ok(["workshop", "advance", "wp", "ws", "hold"])
    try cli.ok(["attendance", "wp", "ws", "--attended", "expert"])
    try cli.ok(["contribute", "wp", "--workshop", "ws", "--stakeholder", "expert", "--text", "Norms matter."])
    try cli.ok(["contribute", "wp", "--stakeholder", "host", "--theme", "cyber", "--text", "Norms matter too."])
    try cli.ok(["summary", "draft", "wp", "ws", "--title", "Summary", "--text", "We discussed norms [#1]."])
    let outputs: [[String]] = [
      ["list"], ["show", "wp"], ["log", "wp"], ["log", "check"], ["theme", "list", "wp"], ["stakeholder", "list"],
      ["stakeholder", "groups"], ["workshop", "list", "wp"], ["invitation", "list", "wp", "ws"],
      ["contributions", "list", "wp"], ["contributions", "campaigns", "wp", "--min-size", "2"],
      ["contributions", "search", "wp", "norms"], ["summary", "show", "wp", "ws"], ["workflow", "list"],
      ["db", "status"], ["tick", "--now", "2015-01-01"], ["deadline", "set", "wp", "2030-01-01"],
      ["summary", "advance", "wp", "ws", "submit-for-review"],
      ["contributions", "tag", "wp", "--search", "norms", "--theme", "cyber", "--dry-run"],
      ["workshop", "reschedule", "wp", "ws", "--starts", "2015-09-17T10:00", "--ends", "2015-09-17T17:00"],
    ]
    var exports: [[String]] = [
      ["export", "summary", "wp", "--format", "json"], ["export", "contributions", "wp", "--format", "json"],
      ["export", "attendance", "wp", "--format", "json"],
    ]
    exports += outputs.map { $0 + ["--json"] }
    for command in exports {
      let outcome = try cli.ok(command)
      let value = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))
      let keys = Self.keys(value)
      #expect(keys.allSatisfy(Self.isSnakeCase), "consult \(command.joined(separator: " ")): \(keys.sorted())")
    }
    let show = try Self.object(try cli.ok(["show", "wp", "--json"]))
    let consultation = try #require(show["consultation"] as? [String: Any])
    #expect(consultation["workflow_name"] as? String == "white-paper")
    #expect((show["counts"] as? [String: Any])?["proceedings_summaries"] != nil)
    #expect(try cli.ok(["show", "wp"]).stdout.contains("proceedings summaries: 1 ("))
  }
}
