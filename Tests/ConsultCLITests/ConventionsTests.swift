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

  /// A new empty directory for the files a test writes; the test removes it.
  static func scratchDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consult-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
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
    ["stakeholder", "history", "h"], ["tick"],
  ]

  /// Commands whose changes record who made them.
  static let withActor: [[String]] = [
    ["open"], ["advance"], ["workshop", "add"], ["workshop", "advance"], ["workshop", "reschedule"], ["invite"],
    ["rsvp"], ["attendance"], ["invitation", "advance"], ["contribute"], ["contributions", "import"],
    ["contributions", "tag"], ["summary", "draft"], ["summary", "advance"], ["workflow", "migrate"],
    ["theme", "add"], ["workshop", "attendance-list"], ["deadline", "set"], ["deadline", "clear"], ["summary", "edit"],
    ["stakeholder", "add"], ["stakeholder", "edit"],
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
      #expect(help.contains("--actor <handle>"), "\(command)")
      #expect(help.contains("$CONSULT_ACTOR, else the login name"), "\(command): \(help)")
    }
    try cli.ok(["db", "migrate"])
    // An actor given explicitly must be registered; the default is registered on first use.
    let unknown = try cli.run(["open", "wp", "--title", "White Paper", "--actor", "planner"])
    #expect(unknown.status == 1 && unknown.stderr.contains("unknown actor 'planner'"), "\(unknown.stderr)")
    let email = try cli.run(["actor", "add", "jane@example.org"])
    #expect(email.status == 1 && email.stderr.contains("never an e-mail address"), "\(email.stderr)")
    try cli.ok(["actor", "add", "planner", "--name", "Planning staff"])
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

  /// Runs a command expected to be refused with exit 1 and returns its message.
  static func refused(_ cli: CLI, _ arguments: [String]) throws -> String {
    let outcome = try cli.run(arguments)
    #expect(outcome.status == 1, "consult \(arguments.joined(separator: " ")): \(outcome.stderr)")
    #expect(!outcome.stderr.contains("constraint"), "\(outcome.stderr)")
    #expect(!outcome.stderr.contains("violates"), "\(outcome.stderr)")
    return outcome.stderr
  }

  @Test("names breaking the schema's rules are refused with the rule, never a constraint name")
  func constraintRules() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    let slug = try Self.refused(cli, ["open", "White Paper", "--title", "WP"])
    #expect(slug.contains("consultation slug 'White Paper' is not allowed"), "\(slug)")
    #expect(slug.contains("lower-case letters a–z, digits 0–9 and '-', and starts with a letter or digit"))
    #expect(slug.contains("e.g. 'white-paper'"), "\(slug)")
    #expect(try Self.refused(cli, ["open", "wp", "--title", " "]).contains("the consultation's title is empty"))
    #expect(
      try Self.refused(cli, ["open", "wp", "--title", "WP", "--theme", "Cyber=Cyber"]).contains(
        "theme key 'Cyber' is not allowed"))
    #expect(
      try Self.refused(cli, ["open", "wp", "--title", "WP", "--theme", "a=A", "--theme", "a=B"]).contains(
        "theme 'a' is given twice"))
    try cli.ok(["open", "wp", "--title", "White Paper", "--theme", "cyber=Cyber"])
    #expect(try Self.refused(cli, ["open", "wp", "--title", "Again"]).contains("already exists"))

    let handle = try Self.refused(cli, ["stakeholder", "add", "ICT4Peace Foundation", "--name", "ICT4Peace"])
    #expect(handle.contains("stakeholder handle 'ICT4Peace Foundation' is not allowed"), "\(handle)")
    #expect(handle.contains("digits 0–9 and '-', '.' and '_'"), "\(handle)")
    #expect(handle.contains("e.g. 'ict4peace-foundation'"), "\(handle)")
    #expect(try Self.refused(cli, ["stakeholder", "add", "x", "--name", ""]).contains("name is empty"))
    try cli.ok(["stakeholder", "add", "ict4peace", "--name", "ICT4Peace", "--kind", "organisation"])
    #expect(
      try Self.refused(cli, ["stakeholder", "add", "ict4peace", "--name", "Other"]).contains(
        "a stakeholder with this handle already exists"))

    #expect(try Self.refused(cli, ["theme", "add", "wp", "Bad Key", "--title", "T"]).contains("theme key 'Bad Key'"))
    #expect(
      try Self.refused(cli, ["theme", "add", "wp", "ok", "--title", ""]).contains("title of theme 'ok' is empty"))
    #expect(
      try Self.refused(cli, ["theme", "add", "wp", "cyber", "--title", "T"]).contains(
        "already has a theme with this key"))

    let times = ["--starts", "2015-09-17T09:30", "--ends", "2015-09-17T17:00"]
    let key = try Self.refused(cli, ["workshop", "add", "wp", "Cyber Security", "--title", "W"] + times)
    #expect(key.contains("workshop key 'Cyber Security' is not allowed") && key.contains("e.g. 'cyber-security'"))
    #expect(try Self.refused(cli, ["workshop", "add", "wp", "ws", "--title", ""] + times).contains("title is empty"))
    try cli.ok(["workshop", "add", "wp", "ws", "--title", "W"] + times)
    #expect(
      try Self.refused(cli, ["workshop", "add", "wp", "ws", "--title", "W"] + times).contains(
        "already has a workshop with this key"))
    #expect(try Self.refused(cli, ["summary", "draft", "wp", "ws", "--title", ""]).contains("title is empty"))

    // A name only the database checks (the workflow file's name may not start with '-'): the rule, translated.
    let directory = try Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let workflow = directory.appendingPathComponent("draft.yaml")
    try Data(
      WorkflowMatrixTests.phasesOnly.replacingOccurrences(of: "workflow: phases-only", with: "workflow: -draft").utf8
    )
    .write(to: workflow)
    let translated = try Self.refused(cli, ["open", "other", "--title", "Other", "--workflow", workflow.path])
    #expect(translated.contains("a workflow name uses only lower-case letters"), "\(translated)")
  }

  @Test("an unknown consultation, stakeholder, workshop, theme, group, event or workflow: did you mean …?")
  func didYouMean() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "white-paper-2016", "--title", "White Paper", "--theme", "instruments=Instruments"])
    try cli.ok(["stakeholder", "add", "ict4peace", "--name", "ICT4Peace", "--kind", "organisation"])
    try cli.ok(["stakeholder", "add", "expert", "--name", "Expert"])
    try cli.ok([
      "workshop", "add", "white-paper-2016", "cyber-security", "--title", "W", "--starts", "2015-09-17T09:30",
      "--ends", "2015-09-17T17:00",
    ])
    try cli.ok(["invite", "white-paper-2016", "cyber-security", "expert"])
    let cases: [([String], String)] = [
      (["show", "white-papr-2016"], "no consultation 'white-papr-2016' (did you mean 'white-paper-2016'?)"),
      (["show", "White-Paper-2016"], "(did you mean 'white-paper-2016'?)"),
      (["export", "summary", "white-paper-2106"], "(did you mean 'white-paper-2016'?)"),
      (["deadline", "set", "white-paper-216", "2030-01-01"], "(did you mean 'white-paper-2016'?)"),
      (
        ["invite", "white-paper-2016", "cyber-security", "ict4peac"],
        "no stakeholder 'ict4peac' (did you mean 'ict4peace'?)"
      ),
      (["stakeholder", "add", "x", "--name", "X", "--group", "acadmia"], "(did you mean 'academia'?)"),
      (["workshop", "advance", "white-paper-2016", "cyber", "schedule"], "(did you mean 'cyber-security'?)"),
      (["summary", "show", "white-paper-2016", "cyber-securty"], "(did you mean 'cyber-security'?)"),
      (
        ["workshop", "advance", "white-paper-2016", "cyber-security", "shedule"],
        "no event 'shedule' (did you mean 'schedule'?)"
      ),
      (["advance", "white-paper-2016", "open-particpation"], "(did you mean 'open-participation'?)"),
      (["rsvp", "white-paper-2016", "cyber-security", "expert", "acept"], "(did you mean 'accept'?)"),
      (["rsvp", "white-paper-2016", "cyber-security", "ict4peace", "accept"], "ict4peace is not invited"),
      (["contribute", "white-paper-2016", "--text", "x", "--theme", "instrument"], "(did you mean 'instruments'?)"),
      (
        ["contributions", "tag", "white-paper-2016", "--search", "x", "--theme", "instrumnets"],
        "(did you mean 'instruments'?)"
      ),
      (["open", "other", "--title", "O", "--workflow", "white-papr"], "(did you mean 'white-paper'?)"),
      (["workshop", "list", "white-paper-216"], "(did you mean 'white-paper-2016'?)"),
      (["contributions", "list", "white-paper-216"], "(did you mean 'white-paper-2016'?)"),
      (["invitation", "list", "white-paper-2016", "cyber-securiti"], "(did you mean 'cyber-security'?)"),
      (["export", "contributions", "white-paper-216"], "(did you mean 'white-paper-2016'?)"),
    ]
    for (arguments, expected) in cases {
      let outcome = try cli.run(arguments)
      #expect(outcome.status == 1 && outcome.stdout.isEmpty, "consult \(arguments.joined(separator: " ")): \(outcome)")
      #expect(outcome.stderr.contains(expected), "consult \(arguments.joined(separator: " ")): \(outcome.stderr)")
    }
    let far = try Self.refused(cli, ["show", "nothing-like-it"])
    #expect(!far.contains("did you mean"), "\(far)")
    let kind = try cli.run(["log", "white-paper-2016", "--kind", "workshops"])
    #expect(kind.status == 2 && kind.stderr.contains("(did you mean 'workshop'?)"), "\(kind.stderr)")
  }

  @Test("numbers are grouped with commas and plurals are real everywhere: CLI output and summaries")
  func numbersAndPlurals() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "c", "--title", "Comments", "--theme", "farming=Farming"])
    let directory = try Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let mapping = directory.appendingPathComponent("m.yaml")
    try Data("id: Ref\ntext: Comment\n".utf8).write(to: mapping)
    let file = directory.appendingPathComponent("r.csv")
    var rows = "Ref,Comment\n"
    for id in 1...1_000 { rows += "\(id),Please protect family farms and rural water.\n" }
    rows += "1001,A text of its own about irrigation.\n"
    try Data(rows.utf8).write(to: file)
    var outputs: [String] = []
    func ok(_ arguments: [String]) throws -> String {
      let out = try cli.ok(arguments).stdout
      outputs.append(out)
      return out
    }
    let imported = try ok(["contributions", "import", "c", file.path, "--format", "csv", "--mapping", mapping.path])
    #expect(imported.contains("Read 1,001 records from r.csv"), "\(imported)")
    #expect(imported.contains("1,001 new written submissions, 0 unchanged, 0 changed"), "\(imported)")
    #expect(try ok(["show", "c"]).contains("contributions: 1,001 (received 1,001)"))
    let campaigns = try ok(["contributions", "campaigns", "c"])
    #expect(campaigns.hasPrefix("1,000\texact\t#1\t"), "\(campaigns)")
    #expect(campaigns.contains("1 campaign, 1,000 contributions"), "\(campaigns)")
    let tag = try ok(["contributions", "tag", "c", "--search", "farms", "--theme", "farming", "--dry-run"])
    #expect(tag.contains("Would tag 1,000 of 1,000 matching contributions with 'farming'"), "\(tag)")
    let one = try ok(["contributions", "tag", "c", "--search", "irrigation", "--theme", "farming"])
    #expect(one.contains("Tagged 1 of 1 matching contribution with 'farming'"), "\(one)")
    // The import logged one event for its batch of 1,001 (migration 0040): the consultation's, the
    // batch's and the tag's events.
    #expect(try ok(["log", "check", "c"]).contains("ok: 3 events, 1,002 entities replayed"))
    let summary = try ok(["export", "summary", "c", "--format", "markdown"])
    #expect(summary.contains("1,001 written submissions, received on "), "\(summary)")
    #expect(summary.contains(" 2 when identical copies count once."), "\(summary)")
    #expect(summary.contains("| 1 | 1,000 | identical |"), "\(summary)")
    let html = try ok(["export", "summary", "c", "--format", "html"])
    #expect(html.contains("<p>1,001 written submissions, received on "))
    try cli.ok(["open", "d", "--title", "One"])
    try cli.ok(["contribute", "d", "--text", "Only one."])
    #expect(try ok(["export", "summary", "d"]).contains("1 written submission, received on "))
    #expect(try ok(["workflow", "list"]).contains("\t2 consultations"))
    for output in outputs { #expect(!output.contains("(s)"), "\(output)") }
  }

  @Test("--output into a directory that does not exist is an error naming it, for every export (and --rejects)")
  func outputDirectoryMustExist() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "wp", "--title", "White Paper"])
    let directory = try Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let missing = directory.appendingPathComponent("no-such-dir")
    let target = missing.appendingPathComponent("out.file").path
    let exports: [[String]] = [
      ["export", "summary", "wp", "--format", "markdown"], ["export", "summary", "wp", "--format", "html"],
      ["export", "summary", "wp", "--format", "json"], ["export", "summary", "wp", "--format", "pdf"],
      ["export", "contributions", "wp"], ["export", "attendance", "wp", "--format", "json"],
      ["export", "calendar", "wp"], ["export", "template", "--format", "html"],
    ]
    for command in exports {
      for flag in ["--output", "-o"] {
        let outcome = try cli.run(command + [flag, target])
        #expect(outcome.status == 1, "\(command) \(flag): \(outcome.stderr)")
        #expect(
          outcome.stderr.contains("the directory \(missing.path) does not exist"), "\(command): \(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
      }
    }
    #expect(!FileManager.default.fileExists(atPath: missing.path))
    let intoDirectory = try cli.run(["export", "contributions", "wp", "--output", directory.path])
    #expect(intoDirectory.status == 1 && intoDirectory.stderr.contains("is a directory"), "\(intoDirectory.stderr)")
    let written = directory.appendingPathComponent("template.md").path
    #expect(try cli.ok(["export", "template", "--output", written]).stdout.hasSuffix("template.md\n"))
    #expect(try String(contentsOfFile: written, encoding: .utf8) == (try cli.ok(["export", "template"]).stdout))

    let file = directory.appendingPathComponent("comments.csv")
    try Data(
      "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n1600000001000,,1,7,0,0,0,fine\n"
        .utf8
    )
    .write(to: file)
    let rejects = try cli.run([
      "contributions", "import", "wp", file.path, "--format", "polis", "--skip-invalid", "--rejects", target,
    ])
    #expect(rejects.status == 1 && rejects.stderr.contains("the directory \(missing.path) does not exist"))
    #expect(try cli.ok(["contributions", "list", "wp"]).stdout.isEmpty)
  }

  /// Runs an executable found on PATH with `arguments` and `input`; nil when it is not installed.
  static func tool(_ name: String, _ arguments: [String], input: String = "") throws -> (
    status: Int32, stdout: String, stderr: String
  )? {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
      .map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let path else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let inp = Pipe()
    let out = Pipe()
    let err = Pipe()
    process.standardInput = inp
    process.standardOutput = out
    process.standardError = err
    try process.run()
    inp.fileHandleForWriting.write(Data(input.utf8))
    try inp.fileHandleForWriting.close()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
  }

  @Test("shell completions and the manual page are generated from the command tree")
  func completionsAndManual() throws {
    let cli = try CLI()
    let bash = try cli.ok(["completions", "bash"]).stdout
    #expect(bash.contains("summary contributions attendance calendar template"), "\(bash.prefix(300))")
    if let syntax = try Self.tool("bash", ["-n"], input: bash) { #expect(syntax.status == 0, "\(syntax.stderr)") }
    #expect(try cli.ok(["completions", "zsh"]).stdout.hasPrefix("#compdef consult"))
    #expect(try cli.ok(["completions", "fish"]).stdout.contains("complete -c 'consult'"))
    #expect(try cli.run(["completions", "tcsh"]).status == 2)

    let page = try cli.ok(["manual"]).stdout
    let version = try cli.ok(["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(page.contains(".TH CONSULT 1 \"\" \"consult \(version)\" \"User Commands\""))
    for section in [
      ".SH NAME", ".SH SYNOPSIS", ".SH COMMON OPTIONS", ".SH COMMANDS", ".SH ENVIRONMENT", ".SH EXIT STATUS",
    ] {
      #expect(page.contains(section), "\(section)")
    }
    for command in [
      "consult open", "consult log show", "consult log check", "consult theme add", "consult workshop reschedule",
      "consult contributions import", "consult export summary", "consult workflow migrate", "consult deadline set",
      "consult completions", "consult manual",
    ] {
      #expect(page.contains(".SS \"\(ManualPageText.roff(command))\""), "\(command)")
    }
    #expect(page.contains("\\fB\\-\\-title\\fR \\fItitle\\fR"))
    #expect(!page.contains("\\fB\\-\\-machine"), "hidden options stay hidden")
    if let groff = try Self.tool("groff", ["-man", "-Tutf8", "-ww", "-z"], input: page) {
      #expect(groff.status == 0 && groff.stderr.isEmpty, "\(groff.stderr)")
    }
    let directory = try Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("consult.1")
    #expect(try cli.ok(["manual", "--output", file.path]).stdout.hasSuffix("consult.1\n"))
    #expect(try String(contentsOf: file, encoding: .utf8) == page)
  }

  @Test("search snippets show the text as typed (no &amp;), and terminal output holds no control characters")
  func searchSnippets() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "usda", "--title", "Comments"])
    let directory = try Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let header =
      "Document Title,Document Type,Attachment Count,Submitter Last Name,Submitter First Name,"
      + "Organization,Document ID,Posted Date,Received Date,Document Detail\n"
    let row = { (id: String) in
      "Comment,PUBLIC SUBMISSIONS,N/A,Doe,Ann,N/A,\(id),6/7/2018,6/5/2018,https://www.regulations.gov/document?D=\(id)\n"
    }
    try Data((header + row("D-1") + row("D-2")).utf8).write(to: directory.appendingPathComponent("docket.csv"))
    try Data(
      ("Document ID,Text Comment\n"
        + "D-1,Please support conservative waiver reform now &amp; stop &quot;handouts&quot;.\n"
        + "D-2,\"Waiver \u{1B}]0;owned\u{07}\u{1B}[31mreform\u{1B}[0m \u{202E}please\"\n").utf8
    ).write(to: directory.appendingPathComponent("texts.csv"))
    try cli.ok(["contributions", "import", "usda", directory.path, "--format", "regulations-gov"])
    let search = try cli.ok(["contributions", "search", "usda", "waiver"]).stdout
    #expect(search.contains("«waiver» reform now & stop \"handouts"), "\(search)")
    #expect(search.contains("«Waiver» <U+001B>]0;owned<U+0007><U+001B>[31mreform"), "\(search)")
    #expect(!search.contains("&amp;") && !search.contains("&quot;"), "\(search)")
    let json = try #require(
      try JSONSerialization.jsonObject(
        with: Data(try cli.ok(["contributions", "search", "usda", "waiver", "--json"]).stdout.utf8)) as? [[String: Any]]
    )
    #expect(json.contains { ($0["snippet"] as? String)?.contains("now & stop \"handouts") == true }, "\(json)")
    let list = try cli.ok(["contributions", "list", "usda"]).stdout
    #expect(list.contains("now & stop \"handouts\"."), "\(list)")
    for output in [search, list] {
      #expect(
        !output.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E }, "\(output)")
      #expect(output.contains("<U+001B>"), "control characters are shown escaped: \(output)")
    }
    let exported = try cli.ok(["export", "contributions", "usda"]).stdout
    #expect(exported.contains("now & stop \"\"handouts\"\"."), "\(exported)")

    // The real docket, when present: the same search the README shows.
    let real = WorkflowMatrixTests.realdata.appendingPathComponent("regulations-gov-usda-2017-0002")
    if FileManager.default.fileExists(atPath: real.path) {
      try cli.ok(["open", "real", "--title", "Real"])
      try cli.ok(["contributions", "import", "real", real.path, "--format", "regulations-gov"])
      let hits = try cli.ok(["contributions", "search", "real", "waiver reform", "--limit", "50"]).stdout
      #expect(!hits.contains("&amp;") && !hits.contains("&quot;"), "\(hits)")
      #expect(hits.contains("now & stop"), "\(hits)")
    }
  }

  @Test("attribution: the stored consent and what an export applies are named apart (consent, published_as)")
  func consentAndPublishedAs() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "wp", "--title", "White Paper"])
    try cli.ok([
      "stakeholder", "add", "ngo", "--kind", "organisation", "--name", "Peace NGO", "--group", "civil-society",
    ])
    try cli.ok(["stakeholder", "add", "chair", "--name", "Chair of the Peace NGO", "--organisation", "ngo"])
    for (key, chatham) in [("closed", true), ("open", false)] {
      try cli.ok(
        ["workshop", "add", "wp", key, "--title", "W", "--starts", "2015-09-17T09:30", "--ends", "2015-09-17T17:00"]
          + (chatham ? ["--chatham-house"] : []))
      try cli.ok(["invite", "wp", key, "chair", "--send"])
    }
    try cli.ok(["advance", "wp", "open-participation"])
    for key in ["closed", "open"] {
      try cli.ok(["workshop", "advance", "wp", key, "schedule"])
      try cli.ok(["rsvp", "wp", key, "chair", "accept"])
      try cli.ok(["workshop", "advance", "wp", key, "hold"])
      try cli.ok(["attendance", "wp", key, "--attended", "chair"])
      try cli.ok(["contribute", "wp", "--workshop", key, "--stakeholder", "chair", "--text", "Said at \(key)."])
    }
    try cli.ok([
      "contribute", "wp", "--stakeholder", "chair", "--consent", "stakeholder-group", "--text", "Groups only.",
    ])
    try cli.ok(["contribute", "wp", "--stakeholder", "chair", "--attribution", "organisation", "--text", "Old option."])

    let listed = try #require(
      try JSONSerialization.jsonObject(with: Data(try cli.ok(["contributions", "list", "wp", "--json"]).stdout.utf8))
        as? [[String: Any]])
    #expect(listed.map { $0["consent"] as? String } == ["named", "named", "stakeholder-group", "organisation"])
    #expect(listed.allSatisfy { $0["attribution"] == nil })

    let csv = try cli.ok(["export", "contributions", "wp"]).stdout.components(separatedBy: "\r\n")
    #expect(
      csv[0]
        == "id,kind,workshop,theme,language,received_at,source,source_id,consent,published_as,attributed_to,stakeholder_group,text"
    )
    #expect(csv[1].hasSuffix(",manual,,named,unattributed,,,Said at closed."), "\(csv[1])")
    #expect(
      csv[2].hasSuffix(",manual,,named,named,Chair of the Peace NGO (Peace NGO),civil-society,Said at open."),
      "\(csv[2])")
    #expect(csv[3].hasSuffix(",manual,,stakeholder-group,stakeholder-group,,civil-society,Groups only."), "\(csv[3])")
    #expect(csv[4].hasSuffix(",manual,,organisation,organisation,Peace NGO,civil-society,Old option."), "\(csv[4])")
    let json = try Self.object(try cli.ok(["export", "contributions", "wp", "--format", "json"]))
    #expect(json["schema"] as? String == "consult.contributions/2")
    let rows = try #require(json["contributions"] as? [[String: Any]])
    #expect(rows.first?["consent"] as? String == "named" && rows.first?["published_as"] as? String == "unattributed")

    let help = try cli.ok(["export", "contributions", "--help"]).stdout
    #expect(help.contains("published_as") && help.contains("unattributed"), "\(help)")
    #expect(try cli.ok(["contribute", "--help"]).stdout.contains("--consent <level>"))
  }

  /// Runs a repository script with `SWIFT` set to a stub, returning its exit status and output.
  static func script(_ name: String, _ arguments: [String], stub: String) throws -> (
    status: Int32, stdout: String, stderr: String
  ) {
    let directory = try Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let swift = directory.appendingPathComponent("swift")
    try Data(("#!/bin/sh\n" + stub).utf8).write(to: swift)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: swift.path)
    let process = Process()
    process.executableURL = WorkflowMatrixTests.root.appendingPathComponent("scripts/\(name)")
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["SWIFT"] = swift.path
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
  }

  @Test("scripts/test and scripts/demo say what they are doing before each slow step")
  func scriptsSayWhatTheyDo() throws {
    _ = try CLI()  // a server is configured (the scripts start their own)
    let test = try Self.script(
      "test", ["--filter", "Nothing"],
      stub: "[ -S \"$PGHOST/.s.PGSQL.$PGPORT\" ] && echo \"server up\"; echo \"swift $*\"\n")
    #expect(test.status == 0, "\(test.stderr)")
    let lines = test.stderr.split(separator: "\n").map(String.init)
    #expect(lines.first?.hasPrefix("test: checking for PostgreSQL and libpq") == true, "\(test.stderr)")
    #expect(lines.contains { $0.hasPrefix("test: starting a throw-away PostgreSQL server, then building") }, "\(lines)")
    #expect(test.stdout == "server up\nswift test --filter Nothing\n", "\(test.stdout)")

    let demo = try Self.script("demo", [], stub: "exit 0\n")
    #expect(demo.status == 1)
    let said = demo.stderr.split(separator: "\n").map(String.init)
    #expect(said.first?.hasPrefix("demo: checking for PostgreSQL and libpq") == true, "\(demo.stderr)")
    #expect(said.dropFirst().first?.hasPrefix("demo: building consult (") == true, "\(demo.stderr)")
    #expect(said.last == "demo: build failed", "\(demo.stderr)")
  }

  @Test("PDF summaries: --paper a4|letter (A4 by default), the title in a running header, page numbers in the footer")
  func pdfPaperAndRunningHeads() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "wp", "--title", "White Paper \"2016\" </style> & more"])
    let usage = try cli.run(["export", "summary", "wp", "--format", "html", "--paper", "letter"])
    #expect(usage.status == 2 && usage.stderr.contains("--paper applies to --format pdf only"), "\(usage.stderr)")
    #expect(try cli.run(["export", "summary", "wp", "--format", "pdf", "--paper", "a5"]).status == 2)
    #expect(try cli.ok(["export", "summary", "--help"]).stdout.contains("--paper <paper>"))

    // Without a Chromium: exit 1, saying what to install (whether or not this machine has one).
    let missing = try cli.run(
      ["export", "summary", "wp", "--format", "pdf"], environment: ["PATH": "/nonexistent", "CONSULT_CHROMIUM": ""])
    #expect(missing.status == 1, "\(missing.stderr)")
    #expect(missing.stderr.contains("PDF export needs headless Chromium"), "\(missing.stderr)")
    #expect(missing.stderr.contains("apt-get install chromium"), "\(missing.stderr)")
    #expect(missing.stdout.isEmpty)

    let directory = try Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let probe = try cli.run(
      ["export", "summary", "wp", "--format", "pdf", "--output", directory.appendingPathComponent("probe.pdf").path])
    guard probe.status == 0 else {
      #expect(probe.stderr.contains("PDF export needs headless Chromium"), "\(probe.stderr)")
      return
    }
    for (paper, mediaBox) in [
      (nil, "/MediaBox [0 0 594.9"), ("a4", "/MediaBox [0 0 594.9"), ("letter", "/MediaBox [0 0 612 792]"),
    ] {
      let file = directory.appendingPathComponent("summary-\(paper ?? "default").pdf")
      try cli.ok(
        ["export", "summary", "wp", "--format", "pdf", "--output", file.path] + (paper.map { ["--paper", $0] } ?? []))
      let pdf = try Data(contentsOf: file)
      let raw = String(decoding: pdf, as: UTF8.self)
      #expect(raw.hasPrefix("%PDF-"))
      #expect(raw.contains(mediaBox), "\(paper ?? "default"): \(raw.ranges(of: "/MediaBox").count) media boxes")
      // The running header and footer, when poppler's pdftotext is here to read them.
      if let text = try Self.tool("pdftotext", [file.path, "-"])?.stdout {
        #expect(text.contains("White Paper \"2016\" </style> & more"), "\(text)")
        #expect(text.contains("Page 1 of 1"), "\(text)")
      }
    }
  }

  @Test(
    "--output and --rejects write a named pipe or device in place and a symbolic link's target, never replacing them")
  func outputIntoPipesAndLinks() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "wp", "--title", "White Paper"])
    try cli.ok(["contribute", "wp", "--text", "Hello."])
    let directory = try Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }

    /// Runs consult writing into a fresh named pipe that `cat` reads; returns what came through.
    func throughPipe(_ arguments: (String) -> [String]) throws -> (CLI.Outcome, String) {
      let fifo = directory.appendingPathComponent("pipe-\(UUID())").path
      #expect(mkfifo(fifo, 0o600) == 0)
      let reader = Process()
      reader.executableURL = URL(fileURLWithPath: "/bin/cat")
      reader.arguments = [fifo]
      let out = Pipe()
      reader.standardOutput = out
      try reader.run()
      let outcome = try cli.run(arguments(fifo))
      let deadline = Date().addingTimeInterval(10)
      while reader.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
      if reader.isRunning {
        reader.terminate()
        Issue.record("nothing was written into the pipe: \(outcome.stderr)")
      }
      let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      var info = stat()
      #expect(stat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO, "the pipe was replaced")
      return (outcome, text)
    }

    let (export, csv) = try throughPipe { ["export", "contributions", "wp", "--output", $0] }
    #expect(export.status == 0, "\(export.stderr)")
    #expect(csv.hasPrefix("id,kind,") && csv.contains("Hello."), "\(csv)")

    let file = directory.appendingPathComponent("comments.csv")
    try Data(
      "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n1600000001000,,1,7,0,0,0,  \n"
        .utf8
    ).write(to: file)
    let (imported, rejected) = try throughPipe {
      ["contributions", "import", "wp", file.path, "--format", "polis", "--skip-invalid", "--rejects", $0]
    }
    #expect(imported.status == 0, "\(imported.stderr)")
    #expect(rejected.contains("comments.csv,2,comment-body,empty comment text"), "\(rejected)")

    let target = directory.appendingPathComponent("target.md")
    let link = directory.appendingPathComponent("link.md")
    try Data("old".utf8).write(to: target)
    try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
    try cli.ok(["export", "summary", "wp", "--output", link.path])
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == target.path)
    #expect(try String(contentsOf: target, encoding: .utf8).contains("White Paper"))
  }
}

/// Roff spelling of plain text, as the manual page writes it (hyphens escaped).
enum ManualPageText {
  static func roff(_ text: String) -> String { text.replacingOccurrences(of: "-", with: "\\-") }
}
