import Foundation
import Postgres
import Testing

/// Runs the built `consult` binary against a fresh database on the test server.
final class CLI {
  struct Outcome {
    let status: Int32
    let stdout: String
    let stderr: String
  }

  let database: String
  let url: String

  init() throws {
    let env = ProcessInfo.processInfo.environment
    let host = try #require(env["PGHOST"], "no PostgreSQL server configured: run the tests with scripts/test")
    database = "consult_cli_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
    let admin = try PostgresConnection(parameters: ["dbname": "postgres"])
    try admin.execute("CREATE DATABASE " + admin.quoteIdentifier(database))
    admin.close()
    url = "postgresql:///\(database)?host=\(host)"
  }

  deinit {
    if let admin = try? PostgresConnection(parameters: ["dbname": "postgres"]),
      let quoted = try? admin.quoteIdentifier(database)
    {
      _ = try? admin.execute("DROP DATABASE IF EXISTS " + quoted + " WITH (FORCE)")
    }
  }

  /// The `consult` executable next to the test bundle in the build folder.
  static var executable: URL {
    var directory = Bundle.main.bundleURL
    for _ in 0..<3 {
      let candidate = directory.appendingPathComponent("consult")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      directory.deleteLastPathComponent()
    }
    return Bundle.main.bundleURL.appendingPathComponent("consult")
  }

  /// Runs `consult ARGS --database-url URL` (the URL is passed through the
  /// environment so every subcommand gets it), feeding `input` on stdin; `environment`
  /// overrides variables of the test's own environment.
  @discardableResult
  func run(_ arguments: [String], input: String? = nil, environment overrides: [String: String] = [:]) throws
    -> Outcome
  {
    let process = Process()
    process.executableURL = Self.executable
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["CONSULT_DATABASE_URL"] = url
    environment["CONSULT_ACTOR"] = "cli-test"
    environment.merge(overrides) { _, override in override }
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    let inp = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = inp
    try process.run()
    if let input { inp.fileHandleForWriting.write(Data(input.utf8)) }
    try inp.fileHandleForWriting.close()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Outcome(
      status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
      stderr: String(decoding: stderr, as: UTF8.self))
  }

  /// Runs and requires exit status 0.
  @discardableResult
  func ok(_ arguments: [String], input: String? = nil) throws -> Outcome {
    let outcome = try run(arguments, input: input)
    #expect(outcome.status == 0, "consult \(arguments.joined(separator: " ")) failed: \(outcome.stderr)")
    return outcome
  }
}

@Suite("The consult command line")
struct CLITests {
  @Test("exit codes: usage 2, unmigrated database 4, refused 1, not found 1")
  func exitCodes() throws {
    let cli = try CLI()
    let usage = try cli.run(["open"])
    #expect(usage.status == 2)
    #expect(usage.stderr.contains("Usage"))
    let unmigrated = try cli.run(["list"])
    #expect(unmigrated.status == 4)
    #expect(unmigrated.stderr.contains("consult db migrate"))
    try cli.ok(["db", "migrate"])
    #expect(try cli.ok(["db", "migrate"]).stdout.contains("up to date"))
    let missing = try cli.run(["show", "nope"])
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("no consultation 'nope'"))
    try cli.ok(["open", "wp", "--title", "White Paper", "--theme", "cyber=Cyber security"])
    let refused = try cli.run(["advance", "wp", "adopt"])
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("events allowed now: cancel"))
    #expect(refused.stdout.isEmpty)
    let guarded = try cli.run(["advance", "wp", "open-participation"])
    #expect(guarded.status == 1)
    #expect(guarded.stderr.contains("needs invitations.sent >= 1; has 0"))
  }

  @Test("the walk-through: stakeholders, workshop, invitations, statements, summary and export")
  func walkThrough() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "wp", "--title", "White Paper", "--theme", "cyber=Cyber security", "--actor", "planner"])
    try cli.ok([
      "stakeholder", "add", "ngo", "--kind", "organisation", "--name", "Peace NGO", "--group", "civil-society",
    ])
    try cli.ok([
      "stakeholder", "add", "host", "--kind", "organisation", "--name", "Host Ministry", "--group", "ministries",
    ])
    try cli.ok(["stakeholder", "add", "ngo-chair", "--name", "Chair of the Peace NGO", "--organisation", "ngo"])
    let badGroup = try cli.run(["stakeholder", "add", "x", "--name", "X", "--group", "aliens"])
    #expect(badGroup.status == 1)
    #expect(badGroup.stderr.contains("unknown stakeholder group 'aliens'"))
    try cli.ok([
      "workshop", "add", "wp", "ws", "--title", "Workshop", "--starts", "2015-09-17T09:30", "--ends",
      "2015-09-17T17:00", "--time-zone", "Europe/Berlin", "--host", "host", "--chatham-house",
    ])
    try cli.ok(["invite", "wp", "ws", "ngo-chair", "--send"])
    try cli.ok(["advance", "wp", "open-participation"])
    try cli.ok(["workshop", "advance", "wp", "ws", "schedule"])
    try cli.ok(["rsvp", "wp", "ws", "ngo-chair", "accept"])
    try cli.ok(["workshop", "advance", "wp", "ws", "hold"])
    try cli.ok(["attendance", "wp", "ws", "--attended", "ngo-chair"])
    let fromStdin = try cli.ok(
      ["contribute", "wp", "--workshop", "ws", "--stakeholder", "ngo-chair", "--theme", "cyber", "--file", "-"],
      input: "Norms of responsible state behaviour matter.\n")
    #expect(fromStdin.stdout.contains("oral-statement"))
    let badTheme = try cli.run(["contribute", "wp", "--text", "x", "--theme", "nope"])
    #expect(badTheme.status == 1)
    #expect(badTheme.stderr.contains("known themes: cyber"))

    let show = try cli.ok(["show", "wp", "--json"])
    let json = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
    let consultation = try #require(json["consultation"] as? [String: Any])
    #expect(consultation["state"] as? String == "participatory-phase")
    #expect(try cli.ok(["show", "wp"]).stdout.contains("✗ close-participation: needs workshops.held == 0; has 1"))

    try cli.ok(["summary", "draft", "wp", "ws", "--title", "Summary", "--text", "We discussed norms."])
    for event in ["submit-for-review", "approve", "publish"] {
      try cli.ok(["summary", "advance", "wp", "ws", event, "--actor", "editor"])
    }
    let log = try cli.ok(["log", "wp", "--json"])
    let entries = try #require(try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [[String: Any]])
    #expect(entries.contains { $0["event"] as? String == "approve" && $0["actor"] as? String == "editor" })
    #expect(entries.first?["actor"] as? String == "planner")

    let output = FileManager.default.temporaryDirectory.appendingPathComponent("consult-\(UUID()).md")
    defer { try? FileManager.default.removeItem(at: output) }
    let export = try cli.ok(["export", "summary", "wp", "--format", "markdown", "--output", output.path])
    #expect(export.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == output.path)
    let markdown = try String(contentsOf: output, encoding: .utf8)
    #expect(markdown.contains("Norms of responsible state behaviour matter."))
    #expect(markdown.contains("Host Ministry"))
    #expect(!markdown.contains("Peace NGO"))
    #expect(!markdown.contains("Chair of the Peace NGO"))
  }

  @Test("bad input files are refused with the file named and nothing written")
  func badInput() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "wp", "--title", "White Paper"])
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("consult-\(UUID()).txt")
    defer { try? FileManager.default.removeItem(at: file) }
    try Data([0x66, 0x6f, 0xff, 0xfe]).write(to: file)
    let invalid = try cli.run(["contribute", "wp", "--file", file.path])
    #expect(invalid.status == 1)
    #expect(invalid.stderr.contains("\(file.path): not valid UTF-8"))
    let nul = try cli.run(["contribute", "wp", "--file", "-"], input: "a\u{0}b")
    #expect(nul.status == 1)
    #expect(nul.stderr.contains("NUL"))
    let empty = try cli.run(["contribute", "wp", "--text", "   "])
    #expect(empty.status == 1)
    #expect(try cli.ok(["contributions", "list", "wp"]).stdout.isEmpty)
  }

  @Test(
    "--rejects: written when the import goes ahead; a refused import leaves no rejects file and an earlier one intact")
  func rejectsFile() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "wp", "--title", "White Paper"])
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consult-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let header = "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
    let rejects = directory.appendingPathComponent("rejects.csv")
    let arguments = { (file: URL) in
      ["contributions", "import", "wp", file.path, "--format", "polis", "--skip-invalid", "--rejects", rejects.path]
    }

    // Broken quoting refuses the whole file: no rejects file, nothing imported.
    let broken = directory.appendingPathComponent("broken.csv")
    try Data((header + "1600000001000,,1,7,0,0,0,fine\n1600000002000,,2,7,0,0,0,\"open\n").utf8).write(to: broken)
    let refused = try cli.run(arguments(broken))
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("broken CSV quoting"))
    #expect(!FileManager.default.fileExists(atPath: rejects.path))

    // One invalid record: the rest is imported and the record is listed.
    let oneBad = directory.appendingPathComponent("one-bad.csv")
    try Data((header + "1600000001000,,1,7,0,0,0,fine\n1600000002000,,2,7,0,0,0,  \n").utf8).write(to: oneBad)
    let imported = try cli.ok(arguments(oneBad))
    #expect(imported.stdout.contains("Read 2 records from one-bad.csv"))
    #expect(imported.stdout.contains("rejected 1 invalid record (written to"))
    #expect(imported.stdout.contains("1 new written submission, 0 unchanged, 0 changed"))
    let listed = try String(contentsOf: rejects, encoding: .utf8)
    #expect(listed.contains("one-bad.csv,3,comment-body,empty comment text"))

    // A refused run later leaves that rejects file as it was.
    #expect(try cli.run(arguments(broken)).status == 1)
    #expect(try String(contentsOf: rejects, encoding: .utf8) == listed)
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == [
        "broken.csv", "one-bad.csv", "rejects.csv",
      ])
  }
}
