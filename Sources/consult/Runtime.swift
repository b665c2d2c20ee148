import ArgumentParser
import ConsultCore
import ConsultImport
import ConsultStore
import EmbeddedPostgres
import Foundation
import Postgres

/// Options every command that touches the database shares: which server, and how much error detail.
struct ConnectionOptions: ParsableArguments {
  @Option(
    name: .customLong("database-url"),
    help: ArgumentHelp(
      "A postgres:// URL or libpq conninfo of the server to use (default: $CONSULT_DATABASE_URL, else the PG* variables, else the embedded cluster).",
      valueName: "url"))
  var databaseURL: String?

  @Flag(help: "Print full error detail (SQLSTATE, server fields).")
  var verbose = false

  /// The configured server's URL or conninfo: `--database-url`, else a non-empty
  /// `$CONSULT_DATABASE_URL`, else nil.
  var url: String? {
    databaseURL ?? ProcessInfo.processInfo.environment["CONSULT_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
  }

  /// Whether a server is configured (``url``, or the `PG*` variables, ``ServerConfiguration``); if
  /// not, the embedded cluster is used.
  var serverConfigured: Bool { url != nil || ServerConfiguration.isConfigured(ProcessInfo.processInfo.environment) }

  /// Opens the store: the configured server as it is (its schema must be
  /// current), or the embedded cluster, started and migrated on demand.
  ///
  /// Everyday commands act as `consult_editor` (migration 0013), never as a superuser or the
  /// schema's owner: on the embedded cluster the superuser only migrates, then consult logs in as
  /// `consult_editor` itself; on a configured server the login role must be a member of it (a
  /// superuser is), and the session takes it with `SET ROLE`.
  ///
  /// - Parameter role: `consult_editor` (the default) or `consult_admin` (workflow migration,
  ///   erasure).
  func openStore(role: DatabaseRole = .editor) throws -> ConsultStore {
    let connection: PostgresConnection
    if serverConfigured {
      connection = try PostgresConnection(url: url, parameters: ["application_name": "consult"])
      try Migrator().requireCurrent(on: connection)
      let member = try connection.query(
        "SELECT pg_has_role(current_user, $1, 'MEMBER') AS m, current_user AS u", [role.rawValue]
      ).rows[0]
      guard try member.decode("m", as: Bool.self) else {
        let user: String = try member.decode("u")
        throw InputError(
          message: "the database user '\(user)' may not act as \(role.rawValue); an administrator grants it with "
            + "`GRANT \(role.rawValue) TO \(user)`")
      }
      try connection.execute("SET ROLE " + connection.quoteIdentifier(role.rawValue))
    } else {
      let cluster = EmbeddedCluster(root: EmbeddedCluster.defaultRoot())
      let owner = try connectToEmbedded(cluster)
      try Migrator().migrate(on: owner)
      // The role logs in over the cluster's private socket (trust authentication); several first
      // commands may race to allow it, and any of them succeeding is enough.
      let canLogin = "SELECT rolcanlogin AS l FROM pg_roles WHERE rolname = $1"
      if try !owner.query(canLogin, [role.rawValue]).rows[0].decode("l", as: Bool.self) {
        do {
          try owner.execute("ALTER ROLE " + owner.quoteIdentifier(role.rawValue) + " LOGIN")
        } catch {
          guard try owner.query(canLogin, [role.rawValue]).rows[0].decode("l", as: Bool.self) else { throw error }
        }
      }
      owner.close()
      var parameters = try cluster.ensureRunning()
      parameters["application_name"] = "consult"
      parameters["user"] = role.rawValue
      connection = try PostgresConnection(parameters: parameters)
    }
    let store = ConsultStore(connection: connection)
    store.tuneSession()
    return store
  }

  /// Opens the store and runs `body` with it, mapping every error to its message on stderr and
  /// its documented exit code (``report(_:verbose:)``).
  func withStore(role: DatabaseRole = .editor, _ body: (ConsultStore) throws -> Void) throws {
    do {
      try body(try openStore(role: role))
    } catch let error as ExitCode {
      throw error
    } catch {
      throw report(error, verbose: verbose)
    }
  }
}

/// `--actor`, taken only by commands whose changes record who made them (``WritingCommand``).
struct ActorOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Who is acting, a registered actor's handle (`consult actor add`), recorded with the change "
        + "(default: $CONSULT_ACTOR, else the login name, registered on first use).",
      valueName: "handle"))
  var actor: String?

  /// The handle to record, checked: an explicit `--actor` must be a registered actor; the default
  /// (`$CONSULT_ACTOR`, else the login name) is registered on first use, in a transaction of its
  /// own.
  ///
  /// - Parameter store: The open store.
  /// - Returns: The handle.
  /// - Throws: ``InputError`` for an unknown explicit actor (with the closest registered one) or a
  ///   default that is not a valid handle; ``StoreError`` from the database.
  func checked(in store: ConsultStore) throws -> String {
    let handle = resolved
    if let actor, !actor.isEmpty {
      try Self.requireRegistered(handle, option: "--actor", in: store)
      return handle
    }
    guard ConsultStore.isValidActorHandle(handle) else {
      throw InputError(
        message: "the default actor '\(handle)' (from $CONSULT_ACTOR or the login name) is not a valid handle: "
          + "use lower-case letters, digits, '.', '_' and '-', e.g. CONSULT_ACTOR=planning-staff, or give --actor")
    }
    try store.registerActor(handle)
    return handle
  }

  /// Throws unless `handle`, given with `option`, is a registered actor: the message names the
  /// option, the closest registered handle and how to register it (or what a handle looks like).
  ///
  /// - Throws: ``InputError`` `OPTION: unknown actor 'X' (did you mean 'Y'?); register it first: …`.
  static func requireRegistered(_ handle: String, option: String, in store: ConsultStore) throws {
    if try store.actor(handle) != nil { return }
    let known = try store.actors().map(\.handle)
    let hint = Phrasing.closest(to: handle, among: known).map { " (did you mean '\($0)'?)" } ?? ""
    let advice =
      ConsultStore.isValidActorHandle(handle)
      ? "register it first: consult actor add \(handle) --name \"…\""
      : "a handle is lower-case letters, digits, '.', '_' and '-', e.g. head-of-division; never an e-mail address or a name"
    throw InputError(message: "\(option): unknown actor '\(handle)'\(hint); \(advice)")
  }

  /// The actor to record: --actor, else $CONSULT_ACTOR, else the login name.
  var resolved: String {
    if let actor, !actor.isEmpty { return actor }
    let env = ProcessInfo.processInfo.environment
    for name in ["CONSULT_ACTOR", "USER", "LOGNAME"] {
      if let value = env[name], !value.isEmpty { return value }
    }
    return NSUserName()
  }
}

/// Creates and starts the embedded cluster when needed and connects to its database.
///
/// Safe when several consult processes do it at once on a fresh home: the cluster is
/// created and started under a file lock, and migrations (the caller's) under an advisory
/// lock. A server that runs without database `consult` (a first start killed between
/// starting the server and creating it) gets it created, then the connection is retried.
///
/// - Parameter cluster: the embedded cluster to use.
/// - Returns: a connection to database `consult`, with `application_name` `consult`.
/// - Throws: `EmbeddedClusterError` when the cluster cannot be created or started;
///   `PostgresError` when connecting fails.
func connectToEmbedded(_ cluster: EmbeddedCluster) throws -> PostgresConnection {
  var parameters = try cluster.ensureRunning()
  parameters["application_name"] = "consult"
  let missing = "database \"\(parameters["dbname"] ?? "")\" does not exist"
  do {
    return try PostgresConnection(parameters: parameters)
  } catch {
    guard error.kind == .connection, error.message.contains(missing) else { throw error }
  }
  try cluster.ensureDatabase()
  return try PostgresConnection(parameters: parameters)
}

/// `--at TIME`, taken by every command that records something: when it happened, so a finished
/// consultation can be recorded with its real dates (the event's `occurred_at`).
struct RecordedTime: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "When it happened, to record the past: YYYY-MM-DD[THH:MM[:SS]] (UTC) or RFC 3339 with an offset; default now.",
      valueName: "time"))
  var at: String?

  /// The instant given, or nil for now.
  ///
  /// - Throws: ``InputError`` naming `--at` when the text is not a time.
  func time() throws -> Date? {
    try at.map { try parseTime($0, zone: "UTC", field: "--at") }
  }
}

/// The output switch shared by read commands.
struct OutputOptions: ParsableArguments {
  @Flag(help: "Print JSON instead of text (for scripts).")
  var json = false
}

/// Exit codes (documented in `consult --help`).
enum Exit {
  /// Refused by the workflow, bad input, or not found.
  static let failure = ExitCode(1)
  /// Usage error (unknown command or option, missing argument).
  static let usage = ExitCode(2)
  /// A concurrent change won; nothing was written. Retry.
  static let conflict = ExitCode(3)
  /// The database is unreachable, not migrated, or failed.
  static let database = ExitCode(4)
}

/// `count` with `noun` in the singular for 1 and in the plural otherwise, the count grouped:
/// `1 record`, `60,000 records` (``Phrasing/counted(_:_:plural:)``; `plural` for irregular nouns).
func counted(_ count: Int, _ noun: String, plural: String? = nil) -> String {
  Phrasing.counted(count, noun, plural: plural)
}

/// A whole number with a comma between each group of three digits, whatever the locale: `60,000`,
/// `-1,234` (``Phrasing/grouped(_:)``). Every count the CLI prints goes through this.
func grouped(_ number: Int) -> String {
  Phrasing.grouped(number)
}

/// Prints an encodable value as pretty, key-sorted JSON with snake_case keys (`event_id`,
/// `workflow_name`: the one key style of every `--json` output and JSON export) and ISO 8601 UTC
/// dates.
func printJSON<T: Encodable>(_ value: T) throws {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
  encoder.keyEncodingStrategy = .convertToSnakeCase
  encoder.dateEncodingStrategy = .custom { date, encoder in
    var container = encoder.singleValueContainer()
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    try container.encode(formatter.string(from: date))
  }
  let data = try encoder.encode(value)
  FileHandle.standardOutput.write(data)
  FileHandle.standardOutput.write(Data("\n".utf8))
}

/// Stored text (a contribution, a snippet, a name or title from an imported file) made safe to
/// print as one line of terminal output: line breaks and tabs become spaces (tabs separate the
/// columns consult prints), and control characters — escape sequences that could recolour,
/// move the cursor, clear the screen or retitle the terminal — and bidirectional controls that
/// could reorder what is shown are shown escaped, `<U+001B>` (``OutputText/terminal(_:)``).
/// `--json` output needs none of this (JSON escapes).
func terminalLine(_ text: String) -> String {
  let oneLine = text.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
    .replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\t", with: " ")
  return terminalText(oneLine)
}

/// Stored multi-line text made safe to print: as ``terminalLine(_:)`` but keeping line breaks (LF)
/// and tabs.
func terminalText(_ text: String) -> String {
  OutputText.terminal(text)
}

/// Prints one line of human-readable output on standard output, made safe for a terminal
/// (``terminalText(_:)``), whatever parts of it came from the database or a file: every line the
/// CLI prints for people goes through here (machine formats — JSON, exports, completion scripts,
/// diagrams — do not).
func say(_ line: String = "") {
  print(terminalText(line))
}

/// Writes a line to standard error, made safe for a terminal (``terminalText(_:)``): messages may
/// quote what an imported file holds; and with every password masked (``ConnectionRedaction``):
/// those of the connection strings in play (``connectionSecrets``) and whatever looks like one.
func printError(_ text: String) {
  let safe = ConnectionRedaction.redacted(text, secrets: connectionSecrets)
  FileHandle.standardError.write(Data((terminalText(safe) + "\n").utf8))
}

/// The passwords this process may know: those in `--database-url` (as typed on the command
/// line), `$CONSULT_DATABASE_URL`, `$DATABASE_URL` and `$PGPASSWORD`.
let connectionSecrets: [String] = {
  let env = ProcessInfo.processInfo.environment
  var strings = [env["CONSULT_DATABASE_URL"], env["DATABASE_URL"]].compactMap { $0 }
  let arguments = CommandLine.arguments
  for (index, argument) in arguments.enumerated() {
    if argument == "--database-url", index + 1 < arguments.count { strings.append(arguments[index + 1]) }
    if argument.hasPrefix("--database-url=") { strings.append(String(argument.dropFirst("--database-url=".count))) }
  }
  return strings.flatMap(ConnectionRedaction.secrets(in:)) + [env["PGPASSWORD"]].compactMap { $0 }
}()

/// Maps any error to a message on stderr and an exit code, in one place.
func report(_ error: any Error, verbose: Bool) -> ExitCode {
  switch error {
  case let error as StoreError:
    printError("consult: \(verbose ? error.debugDescription : error.description)")
    switch error.kind {
    case .conflict: return Exit.conflict
    case .schema, .database: return Exit.database
    default: return Exit.failure
    }
  case let error as WorkflowError:
    printError(error.description)
    return Exit.failure
  case let error as ImportError:
    printError("consult: \(error.description); nothing was imported")
    return Exit.failure
  case let error as PartialImportError:
    printError("consult: \(error.description)")
    return Exit.failure
  case let error as PostgresError:
    printError("consult: \(verbose ? error.debugDescription : error.description)")
    return error.kind == .connection ? Exit.database : Exit.failure
  case let error as EmbeddedClusterError:
    printError("consult: \(error.description)")
    return Exit.database
  case let error as InputError:
    printError("consult: \(error.message)")
    return Exit.failure
  default:
    printError("consult: \(error)")
    return Exit.failure
  }
}

/// Bad input detected by the CLI itself (a file that cannot be read…).
struct InputError: Error {
  let message: String
}

/// A command that runs against the store and records no actor, so it takes no `--actor`: it
/// reads, or changes something that keeps no author (a theme, a stakeholder, a deadline, a
/// summary's draft text). `execute` does the work; errors are mapped to exit codes by
/// ``report(_:verbose:)``.
protocol StoreCommand: ParsableCommand {
  /// The server to use.
  var connection: ConnectionOptions { get }
  /// Does the command's work with an open store.
  func execute(_ store: ConsultStore) throws
}

extension StoreCommand {
  func run() throws {
    try connection.withStore { try execute($0) }
  }
}

/// A command that changes something and records who did it (in the event log or an audit
/// table): the only kind of command that takes `--actor`.
protocol WritingCommand: ParsableCommand {
  /// The server to use.
  var connection: ConnectionOptions { get }
  /// Who is acting.
  var acting: ActorOptions { get }
  /// Does the command's work with an open store, as `actor`.
  func execute(_ store: ConsultStore, actor: String) throws
  /// The database role it acts as (migration 0013): `consult_editor`, or `consult_admin` for
  /// workflow migration.
  static var databaseRole: DatabaseRole { get }
}

extension WritingCommand {
  /// `consult_editor`: everyday records and transitions.
  static var databaseRole: DatabaseRole { .editor }

  func run() throws {
    try connection.withStore(role: Self.databaseRole) { try execute($0, actor: try acting.checked(in: $0)) }
  }
}

/// Parses a time option by the one rule every time in consult follows (``LocalTimeResolver``).
///
/// - Parameters:
///   - text: `YYYY-MM-DD[THH:MM[:SS[.fraction]]]` (a space for `T` also accepted), wall-clock
///     time in `zone`; or the same with a UTC offset (`Z`, `±HH:MM`, `±HHMM`, `±HH`; RFC 3339
///     `2026-10-25T02:30:00+02:00`, seconds optional: `2026-10-25T02:30+02:00`), which is that
///     instant whatever `zone` says. A date alone is midnight.
///   - zone: the IANA time zone of times without an offset, e.g. `Europe/Berlin` or `UTC`.
///   - field: the option or argument, named in errors (`--starts`).
/// - Returns: the instant.
/// - Throws: ``InputError`` `FIELD: …` for an unknown zone, text that is no date and time or
///   names a day or time of day that does not exist (31 April, 25:00), a local time the clocks
///   skipped (`… does not exist in Europe/Berlin (clocks went forward from 02:00 to 03:00 that
///   night)`) or showed twice (`… happens twice in Europe/Berlin: …+02:00 (summer time) or
///   …+01:00 (standard time); give the offset`).
func parseTime(_ text: String, zone: String, field: String) throws -> Date {
  let resolver = try knownTimeZone(zone, field: field)
  let malformed = InputError(
    message: "\(field): cannot read '\(text)' as a time; use YYYY-MM-DDTHH:MM (in --time-zone) or RFC 3339")
  guard let written = WrittenTime.parse(text) else { throw malformed }
  do {
    return try resolver.instant(written, text: text)
  } catch {
    if error.problem == .invalid { throw malformed }
    throw InputError(message: "\(field): \(error)")
  }
}

/// The rules of `zone`, given with `--time-zone` (or a workshop's stored zone).
///
/// - Parameters:
///   - zone: an IANA time-zone identifier, e.g. `Europe/Berlin`.
///   - field: the option the zone was given with, or whose time it is read for (a workshop's
///     stored zone read for `--starts`), named in the error.
/// - Returns: the resolver of local times in that zone.
/// - Throws: ``InputError`` `FIELD: unknown time zone 'X' (…)` when the system's IANA tz
///   database does not know it.
@discardableResult
func knownTimeZone(_ zone: String, field: String = "--time-zone") throws -> LocalTimeResolver {
  guard let resolver = LocalTimeResolver(zoneIdentifier: zone) else {
    throw InputError(message: "\(field): unknown time zone '\(zone)' (use an IANA name such as Europe/Berlin)")
  }
  return resolver
}

/// Reads text from a file path, `-` for standard input; refuses invalid UTF-8 and NUL bytes.
func readText(path: String) throws -> String {
  let data: Data
  if path == "-" {
    data = FileHandle.standardInput.readDataToEndOfFile()
  } else {
    guard let contents = FileManager.default.contents(atPath: path) else {
      let missing = !FileManager.default.fileExists(atPath: path)
      throw InputError(message: "\(path): \(missing ? "no such file" : "cannot read the file")")
    }
    data = contents
  }
  let name = path == "-" ? "standard input" : path
  guard var text = String(data: data, encoding: .utf8) else {
    throw InputError(message: "\(name): not valid UTF-8")
  }
  if text.contains("\u{0}") { throw InputError(message: "\(name): contains a NUL byte") }
  if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
  return text.replacingOccurrences(of: "\r\n", with: "\n")
}
