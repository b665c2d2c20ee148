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
    try cli.ok(["actor", "add", "planner", "--name", "Planning staff"])
    try cli.ok(["actor", "add", "editor"])
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
      "stakeholder", "add", "ngo-staff", "--name", "Ana Staff", "--email", "ana@example.org", "--actor", "planner",
    ])
    try cli.ok(["stakeholder", "edit", "ngo-staff", "--email", "", "--organisation", "ngo", "--actor", "editor"])
    let unchanged = try cli.run(["stakeholder", "edit", "ngo-staff", "--organisation", "ngo"])
    #expect(unchanged.status == 1)
    #expect(unchanged.stderr.contains("nothing to change"))
    let history = try cli.ok(["stakeholder", "history", "ngo-staff", "--json"]).stdout
    #expect(history.contains("\"event\" : \"edited\"") || history.contains("\"event\":\"edited\""), "\(history)")
    #expect(history.contains("\"actor\" : \"editor\"") || history.contains("\"actor\":\"editor\""), "\(history)")
    #expect(!history.contains("ana@example.org") && !history.contains("Ana Staff"))
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
    // CRLF line ends, as every CSV consult writes (RFC 4180 §2).
    #expect(
      listed.utf8.starts(with: "file,line,column,reason\r\n".utf8)
        && listed.utf8.reversed().starts(with: "empty comment text\r\n".utf8.reversed()), "\(listed.debugDescription)")

    // A refused run later leaves that rejects file as it was.
    #expect(try cli.run(arguments(broken)).status == 1)
    #expect(try String(contentsOf: rejects, encoding: .utf8) == listed)
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == [
        "broken.csv", "one-bad.csv", "rejects.csv",
      ])
  }

  @Test("a local time a clock change skips or repeats is refused with exit 1; an offset says which instant")
  func clockChanges() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "wp", "--title", "White Paper"])
    try cli.ok(["stakeholder", "add", "host", "--kind", "organisation", "--name", "Host", "--group", "ministries"])
    func workshop(_ key: String, starts: String, ends: String = "2026-10-25T05:00") -> [String] {
      [
        "workshop", "add", "wp", key, "--title", "Workshop", "--starts", starts, "--ends", ends, "--time-zone",
        "Europe/Berlin", "--host", "host", "--json",
      ]
    }
    /// The instant a JSON field holds, as `2026-10-25T01:30:00.000Z`.
    func field(_ outcome: CLI.Outcome, _ key: String) throws -> String? {
      let json = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]
      return json?[key] as? String
    }

    let skipped = try cli.run(workshop("spring", starts: "2026-03-29T02:30", ends: "2026-03-29T05:00"))
    #expect(skipped.status == 1)
    #expect(
      skipped.stderr
        == "consult: --starts: 2026-03-29T02:30 does not exist in Europe/Berlin "
        + "(clocks went forward from 02:00 to 03:00 that night)\n")
    let twice = try cli.run(workshop("autumn", starts: "2026-10-25T02:30"))
    #expect(twice.status == 1)
    #expect(
      twice.stderr
        == "consult: --starts: 2026-10-25T02:30 happens twice in Europe/Berlin: 2026-10-25T02:30+02:00 (summer time) "
        + "or 2026-10-25T02:30+01:00 (standard time); give the offset\n")
    #expect(twice.stdout.isEmpty)
    // An impossible date keeps the message for text that is not a time.
    let impossible = try cli.run(workshop("april", starts: "2026-04-31T10:00", ends: "2026-05-01T10:00"))
    #expect(impossible.status == 1)
    #expect(impossible.stderr.contains("--starts: cannot read '2026-04-31T10:00' as a time"))
    #expect(try cli.ok(["workshop", "list", "wp"]).stdout.isEmpty)

    // The offset chooses, with or without seconds.
    let summer = try cli.ok(workshop("summer", starts: "2026-10-25T02:30+02:00"))
    #expect(try field(summer, "starts_at") == "2026-10-25T00:30:00.000Z")
    #expect(try field(summer, "ends_at") == "2026-10-25T04:00:00.000Z")
    let standard = try cli.ok(workshop("standard", starts: "2026-10-25T02:30:00+01:00"))
    #expect(try field(standard, "starts_at") == "2026-10-25T01:30:00.000Z")
    let rescheduled = try cli.run([
      "workshop", "reschedule", "wp", "standard", "--starts", "2026-10-25T02:45", "--ends", "2026-10-25T05:00",
    ])
    #expect(rescheduled.status == 1)
    #expect(rescheduled.stderr.contains("--starts: 2026-10-25T02:45 happens twice in Europe/Berlin"))

    // The deadline, in a zone of its own.
    let deadlineTwice = try cli.run([
      "deadline", "set", "wp", "2026-11-01T01:30", "--time-zone", "America/New_York",
    ])
    #expect(deadlineTwice.status == 1)
    #expect(
      deadlineTwice.stderr
        == "consult: deadline: 2026-11-01T01:30 happens twice in America/New_York: 2026-11-01T01:30-04:00 "
        + "(summer time) or 2026-11-01T01:30-05:00 (standard time); give the offset\n")
    let deadlineSkipped = try cli.run(["deadline", "set", "wp", "2026-03-29T02:00", "--time-zone", "Europe/Berlin"])
    #expect(deadlineSkipped.status == 1)
    #expect(deadlineSkipped.stderr.contains("deadline: 2026-03-29T02:00 does not exist in Europe/Berlin"))
    let deadline = try cli.ok(["deadline", "set", "wp", "2026-11-01T01:30-05:00", "--json"])
    #expect(try field(deadline, "deadline") == "2026-11-01T06:30:00.000Z")
    let local = try cli.ok(["deadline", "set", "wp", "2026-12-31T23:59", "--time-zone", "Europe/Berlin", "--json"])
    #expect(try field(local, "deadline") == "2026-12-31T22:59:00.000Z")
    #expect(try cli.ok(["deadline", "set", "wp", "2026-10-25T02:30Z"]).stdout == "wp: deadline 2026-10-25T02:30:00Z\n")
  }
}
