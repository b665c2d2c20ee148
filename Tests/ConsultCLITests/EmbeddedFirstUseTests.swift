import Foundation
import Postgres
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Starts one `consult` process per argument list, all at once, with `environment`, waits for
/// all of them and returns what each printed and how it exited, in order. Output goes to
/// files, so no process can block on a full pipe while another is being read.
func runConcurrently(_ commands: [[String]], environment: [String: String]) throws -> [CLI.Outcome] {
  let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("consult-cli-\(UUID())")
  try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: scratch) }
  var running: [(Process, URL, URL)] = []
  for (index, arguments) in commands.enumerated() {
    let process = Process()
    process.executableURL = CLI.executable
    process.arguments = arguments
    process.environment = environment
    let out = scratch.appendingPathComponent("\(index).out")
    let err = scratch.appendingPathComponent("\(index).err")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    process.standardInput = FileHandle.nullDevice
    running.append((process, out, err))
  }
  for (process, _, _) in running { try process.run() }
  return try running.map { process, out, err in
    process.waitUntilExit()
    return CLI.Outcome(
      status: process.terminationStatus,
      stdout: try String(contentsOf: out, encoding: .utf8),
      stderr: try String(contentsOf: err, encoding: .utf8))
  }
}

/// A `CONSULT_HOME` for the embedded cluster: `consult` runs there with no server configured
/// (every `PG*` variable and `CONSULT_DATABASE_URL` removed). The cluster is stopped and the
/// directory removed when the value is released.
final class EmbeddedHome {
  let url: URL

  /// A short path in the temporary directory (the socket path must stay under 108 bytes),
  /// not created: consult creates it.
  init() {
    url = URL(fileURLWithPath: "/tmp/consult-home-\(UUID().uuidString.prefix(8).lowercased())")
  }

  /// Uses `url` as it is (a directory the caller made).
  init(existing url: URL) {
    self.url = url
  }

  var environment: [String: String] {
    var environment = ProcessInfo.processInfo.environment.filter {
      !$0.key.hasPrefix("PG") && $0.key != "CONSULT_DATABASE_URL"
    }
    environment["CONSULT_HOME"] = url.path
    environment["CONSULT_ACTOR"] = "cli-test"
    return environment
  }

  /// Runs one `consult` command in this home.
  func run(_ arguments: [String]) throws -> CLI.Outcome {
    try runConcurrently([arguments], environment: environment)[0]
  }

  /// Runs and requires exit status 0.
  @discardableResult
  func ok(_ arguments: [String]) throws -> CLI.Outcome {
    let outcome = try run(arguments)
    #expect(outcome.status == 0, "consult \(arguments.joined(separator: " ")) failed: \(outcome.stderr)")
    return outcome
  }

  /// A connection to the running embedded cluster (its socket directory is `run/`).
  func connect(database: String = "consult") throws -> PostgresConnection {
    try PostgresConnection(parameters: [
      "host": url.appendingPathComponent("run").path, "port": "5432", "user": "consult", "dbname": database,
    ])
  }

  deinit {
    _ = try? run(["db", "stop"])
    // A server `db stop` could not stop is shut down at once (SIGQUIT).
    let pidFile = url.appendingPathComponent("data/postmaster.pid")
    if let text = try? String(contentsOf: pidFile, encoding: .utf8),
      let pid = text.split(separator: "\n").first.flatMap({ Int32($0) }), pid > 0, kill(pid, 0) == 0
    {
      kill(pid, SIGQUIT)
      for _ in 0..<100 where kill(pid, 0) == 0 { usleep(100_000) }
    }
    try? FileManager.default.removeItem(at: url)
  }
}

@Suite("First use of the embedded database")
struct EmbeddedFirstUseTests {
  @Test("five consult commands started at once on a fresh CONSULT_HOME all succeed; the database is migrated once")
  func concurrentFirstUse() throws {
    let home = EmbeddedHome()
    // Two `open`s also register the shipped workflow at the same time.
    let outcomes = try runConcurrently(
      [
        ["open", "first", "--title", "First"], ["list"], ["db", "status"], ["db", "migrate"],
        ["open", "second", "--title", "Second"],
      ],
      environment: home.environment)
    for outcome in outcomes {
      #expect(outcome.status == 0, "exit \(outcome.status): \(outcome.stderr)")
    }

    let status = try home.ok(["db", "status", "--json"])
    let info = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: String])
    #expect(info["server"] == "embedded")
    #expect(info["state"]?.hasPrefix("running") == true)
    #expect(info["migrations_pending"] == "none")
    let applied = try #require(info["migrations_applied"].flatMap { Int($0) })
    let connection = try home.connect()
    let rows = try connection.query(
      "SELECT count(*) AS n, count(DISTINCT number) AS d FROM schema_migrations")
    #expect(try rows.rows[0].decode("n", as: Int.self) == applied)
    #expect(try rows.rows[0].decode("d", as: Int.self) == applied)
    connection.close()
    let list = try home.ok(["list"]).stdout
    #expect(list.contains("first") && list.contains("second"))

    // A server that lost its database (say a first start killed before creating it) gets it
    // back, migrated, at the next command.
    let maintenance = try home.connect(database: "postgres")
    try maintenance.execute("DROP DATABASE consult")
    maintenance.close()
    let again = try home.ok(["list"])
    #expect(again.stdout.contains("No consultations yet"))
  }

  @Test(
    "as root, a fresh mktemp -d CONSULT_HOME (0700) works, and is changed no more than o+x",
    .enabled(if: geteuid() == 0, "only root runs the server as another user")
  )
  func rootWithTemporaryHome() throws {
    var template = Array("/tmp/consult-mktemp-XXXXXX".utf8CString)
    let made = try #require(mkdtemp(&template))
    let home = EmbeddedHome(existing: URL(fileURLWithPath: String(cString: made)))
    let mode = try FileManager.default.attributesOfItem(atPath: home.url.path)[.posixPermissions]
    #expect((mode as? NSNumber)?.intValue == 0o700)

    try home.ok(["open", "x", "--title", "X"])
    #expect(try home.ok(["list"]).stdout.contains("x"))
    let attributes = try FileManager.default.attributesOfItem(atPath: home.url.path)
    #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o701)
    #expect((attributes[.ownerAccountID] as? NSNumber)?.uint32Value == 0)
    let postgres = try #require(getpwnam("postgres")).pointee.pw_uid
    let data = try FileManager.default.attributesOfItem(atPath: home.url.appendingPathComponent("data").path)
    #expect((data[.ownerAccountID] as? NSNumber)?.uint32Value == postgres)
  }

  @Test(
    "as root, a CONSULT_HOME under a directory postgres cannot enter fails with exit 4 and the chmod that fixes it",
    .enabled(if: geteuid() == 0, "only root runs the server as another user")
  )
  func rootWithUnreachableParent() throws {
    var template = Array("/tmp/consult-closed-XXXXXX".utf8CString)
    let parent = String(cString: try #require(mkdtemp(&template)))
    defer { try? FileManager.default.removeItem(atPath: parent) }
    let home = EmbeddedHome(existing: URL(fileURLWithPath: parent + "/home"))
    let outcome = try home.run(["list"])
    #expect(outcome.status == 4)
    #expect(outcome.stderr.contains("`chmod o+x \(parent)`"))
    #expect(outcome.stderr.contains("set CONSULT_HOME to a directory the user 'postgres' can reach"))
    #expect(!FileManager.default.fileExists(atPath: home.url.path))
  }

  @Test("two `consult db migrate` at once on a configured server both succeed and apply each migration once")
  func concurrentMigrateOnServer() throws {
    let cli = try CLI()
    var environment = ProcessInfo.processInfo.environment
    environment["CONSULT_DATABASE_URL"] = cli.url
    let outcomes = try runConcurrently([["db", "migrate"], ["db", "migrate"]], environment: environment)
    var appliedLines: [String] = []
    for outcome in outcomes {
      #expect(outcome.status == 0, "exit \(outcome.status): \(outcome.stderr)")
      appliedLines += outcome.stdout.split(separator: "\n").map(String.init).filter { $0.hasPrefix("Applied ") }
    }
    let status = try cli.ok(["db", "status", "--json"])
    let info = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: String])
    #expect(info["migrations_pending"] == "none")
    #expect(appliedLines.count == info["migrations_applied"].flatMap { Int($0) })
    #expect(Set(appliedLines).count == appliedLines.count)
    #expect(try cli.ok(["db", "migrate"]).stdout.contains("up to date"))
  }
}
