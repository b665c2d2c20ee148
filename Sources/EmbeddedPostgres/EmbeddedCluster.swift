import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The private local PostgreSQL cluster that the CLI creates, starts and stops itself when
/// no server is configured (see ``ServerConfiguration/isConfigured(_:)``).
///
/// Everything lives under one directory, ``root``:
///
/// | path | what |
/// | --- | --- |
/// | `data/` | the cluster's data directory, made by `initdb` |
/// | `run/` | the Unix-domain socket directory (`run/.s.PGSQL.5432`); no TCP port is opened |
/// | `log/server.log` | the server's log (`pg_ctl -l`), appended to at each start |
/// | `lock` | the file that `flock(2)` serialises concurrent starts and stops on |
///
/// The cluster is made as PostgreSQL's docs describe ("Creating a Database Cluster",
/// "Starting the Database Server", the `initdb` and `pg_ctl` reference pages): superuser
/// `consult`, trust authentication (safe because the socket and its directory are only
/// accessible to their owner), UTF-8, locale `C.UTF-8`. When this process is root, the
/// server's files (`data/`, `run/`, `log/`) belong to, and the server runs as, the
/// `postgres` system user, because PostgreSQL refuses to run as root; the tools are then run
/// through `runuser -u postgres --`. How ``root`` is made reachable for that user is
/// described at ``prepareRoot(account:runner:)``.
///
/// Any number of processes may use one cluster at once, also on first use: creating,
/// starting and stopping happen under an exclusive `flock(2)` on `lock`, and
/// ``settledStatus()`` reads the status under a shared one.
public struct EmbeddedCluster: Sendable {
  /// The status of a cluster, as read from its data directory.
  public enum Status: Sendable, Equatable {
    /// There is no cluster yet: `data/PG_VERSION` does not exist.
    case notInitialised
    /// The cluster exists and no server is running on it.
    case stopped
    /// A server is running on the cluster; `pid` is the postmaster's process ID.
    case running(pid: Int32)
  }

  /// The directory holding everything: `data/`, `run/` (the socket), `log/server.log` and
  /// the lock file. Created on first start when missing (mode 0700; 0711 as root, so the
  /// server's account can pass through).
  public var root: URL
  /// The directory holding `initdb`, `pg_ctl`, `postgres` and `createdb`, or `nil` to find
  /// it with ``findBinDirectory(environment:)`` when a tool is first needed.
  public var binDirectory: URL?
  /// The locales tried for `initdb --locale`, in order: the next is tried only when
  /// `initdb` calls the previous one invalid. `C.UTF-8` sorts by code point like `C` but
  /// classifies characters as Unicode; `C` is always there.
  var initdbLocales = ["C.UTF-8", "C"]

  /// The PostgreSQL superuser that `initdb` creates and that clients connect as.
  static let superuser = "consult"
  /// The database that ``ensureRunning()`` creates and that clients connect to.
  static let databaseName = "consult"
  /// The port number. With no TCP listener it only names the socket file
  /// (`.s.PGSQL.5432`), so every cluster can use PostgreSQL's default.
  static let port = 5432
  /// The settings file that ``start()`` writes into the data directory before each start,
  /// and that `postgresql.conf` includes.
  static let settingsFileName = "consult.conf"

  /// Makes a value describing the cluster under `root`; nothing is touched on disk.
  ///
  /// - Parameters:
  ///   - root: the directory holding everything; see ``root``. Typically
  ///     ``defaultRoot(environment:)``. A relative path is resolved against the current
  ///     directory.
  ///   - binDirectory: the directory holding PostgreSQL's server programs; `nil` (the
  ///     default) finds it with ``findBinDirectory(environment:)`` when first needed.
  public init(root: URL, binDirectory: URL? = nil) {
    self.root = root.standardizedFileURL
    self.binDirectory = binDirectory
  }

  /// The default ``root``:
  /// 1. `$CONSULT_HOME`, when set and non-empty;
  /// 2. else, when the effective user is root, `/var/lib/consult` (the Filesystem
  ///    Hierarchy Standard's place for a program's state);
  /// 3. else `$XDG_DATA_HOME/consult` when `XDG_DATA_HOME` is an absolute path (the XDG
  ///    Base Directory specification says to ignore a relative one);
  /// 4. else `~/.local/share/consult` (`$HOME`, or the account's home directory).
  ///
  /// - Parameter environment: where the variables are read; defaults to this process's.
  /// - Returns: an absolute directory URL; nothing is created.
  public static func defaultRoot(
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> URL {
    defaultRoot(environment: environment, effectiveUserID: geteuid())
  }

  /// ``defaultRoot(environment:)`` for a given effective user ID, so both cases can be tested.
  static func defaultRoot(environment: [String: String], effectiveUserID: uid_t) -> URL {
    if let home = environment["CONSULT_HOME"], !home.isEmpty {
      return URL(fileURLWithPath: home, isDirectory: true).standardizedFileURL
    }
    if effectiveUserID == 0 {
      return URL(fileURLWithPath: "/var/lib/consult", isDirectory: true)
    }
    if let dataHome = environment["XDG_DATA_HOME"], dataHome.hasPrefix("/") {
      return URL(fileURLWithPath: dataHome, isDirectory: true)
        .appendingPathComponent("consult", isDirectory: true).standardizedFileURL
    }
    let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    return URL(fileURLWithPath: home, isDirectory: true)
      .appendingPathComponent(".local/share/consult", isDirectory: true).standardizedFileURL
  }

  /// `root/data`: the cluster's data directory (PGDATA), made by `initdb`.
  public var dataDirectory: URL { root.appendingPathComponent("data", isDirectory: true) }
  /// `root/run`: the directory holding the server's Unix-domain socket (its
  /// `unix_socket_directories`); pass it to libpq as `host`.
  public var socketDirectory: URL { root.appendingPathComponent("run", isDirectory: true) }
  /// `root/log/server.log`: the server's log, given to `pg_ctl start -l`.
  public var logFile: URL {
    root.appendingPathComponent("log", isDirectory: true).appendingPathComponent("server.log")
  }
  /// `root/lock`: the file locked with `flock(2)` while starting or stopping.
  var lockFile: URL { root.appendingPathComponent("lock") }
  /// `root/data.initdb`: where `initdb` builds a new cluster before it is renamed to
  /// `data`, so that an interrupted `initdb` never leaves a half-made `data`.
  var stagingDirectory: URL { root.appendingPathComponent("data.initdb", isDirectory: true) }
  /// The socket file itself: `run/.s.PGSQL.5432`.
  var socketFile: URL { socketDirectory.appendingPathComponent(".s.PGSQL.\(Self.port)") }

  /// The libpq connection parameters (keyword/value form; libpq docs, "Parameter Key
  /// Words") that reach this cluster once it runs: `host` is ``socketDirectory``'s path
  /// (a path, so libpq uses the Unix socket), `port` `5432`, `user` and `dbname` `consult`.
  public var connectionParameters: [String: String] {
    [
      "host": socketDirectory.path,
      "port": String(Self.port),
      "user": Self.superuser,
      "dbname": Self.databaseName,
    ]
  }

  // MARK: - Status

  /// Reads the cluster's status from its data directory, without running any tool.
  ///
  /// `data/PG_VERSION` missing means ``Status/notInitialised``. Otherwise the first line of
  /// `data/postmaster.pid` (PostgreSQL docs, "Database File Layout") holds the postmaster's
  /// PID; like `pg_ctl status`, the server counts as running when that process exists
  /// (`kill(pid, 0)` succeeds), and a missing or stale file means ``Status/stopped``.
  ///
  /// - Throws: when `data` exists but is not a directory or cannot be read by this user
  ///   (for instance a cluster made by another account).
  public func status() throws(EmbeddedClusterError) -> Status {
    let fileManager = FileManager.default
    var isDirectory: ObjCBool = false
    guard fileManager.fileExists(atPath: dataDirectory.path, isDirectory: &isDirectory) else {
      return .notInitialised
    }
    guard isDirectory.boolValue else {
      throw EmbeddedClusterError(
        message: "\(dataDirectory.path) is not a directory; move it away or set CONSULT_HOME."
      )
    }
    guard access(dataDirectory.path, R_OK | X_OK) == 0 else {
      throw EmbeddedClusterError(
        message: """
          Cannot read the embedded cluster's data directory \(dataDirectory.path): \
          \(String(cString: strerror(errno))). It belongs to another user; run consult as \
          that user or set CONSULT_HOME to a directory of your own.
          """
      )
    }
    guard fileManager.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path)
    else { return .notInitialised }
    guard
      let contents = fileManager.contents(
        atPath: dataDirectory.appendingPathComponent("postmaster.pid").path
      ),
      let firstLine = String(decoding: contents, as: UTF8.self).split(separator: "\n").first,
      let recorded = Int32(firstLine.trimmingCharacters(in: .whitespaces)),
      recorded != 0
    else { return .stopped }
    // A negative PID marks a single-user backend (postmaster.pid written by `postgres
    // --single`); it still holds the cluster.
    let pid = recorded < 0 ? -recorded : recorded
    return kill(pid, 0) == 0 ? .running(pid: pid) : .stopped
  }

  /// ``status()`` read under a shared lock on `root/lock`, so that it never reports a
  /// server that another process is still creating, starting (and creating the database
  /// in) or stopping: it waits until that process is done. Use it before connecting to a
  /// server that ``status()`` says runs.
  ///
  /// - Returns: as ``status()``.
  /// - Throws: as ``status()``.
  public func settledStatus() throws(EmbeddedClusterError) -> Status {
    try withSharedFileLockIfPresent(at: lockFile) { () throws(EmbeddedClusterError) in
      try status()
    }
  }

  // MARK: - Start

  /// Makes sure the cluster exists and its server runs, then returns how to connect.
  ///
  /// Under an exclusive `flock(2)` on `root/lock` (so concurrent callers, in this or other
  /// processes, wait for one another and all succeed):
  /// 1. when not initialised, runs `initdb -U consult --auth=trust -E UTF8
  ///    --locale=C.UTF-8` (`C` where `C.UTF-8` is unavailable) into `root/data.initdb`,
  ///    makes its `postgresql.conf` include `consult.conf`, and renames it to `root/data`;
  /// 2. when not running, writes `data/consult.conf` (`listen_addresses = ''`, `port =
  ///    5432`, `unix_socket_directories` = ``socketDirectory``, `unix_socket_permissions =
  ///    0700`: PostgreSQL docs, "Connections and Authentication"), starts the server with
  ///    `pg_ctl start -w -l root/log/server.log`, and creates database `consult` with
  ///    `createdb` over the socket unless it exists.
  ///
  /// Before the lock, ``root`` is created when missing and, as root, made reachable for
  /// `postgres` (``prepareRoot(account:runner:)``). A running server is left alone, so a
  /// second call does nothing but take the lock (and does not check the database: one
  /// dropped by hand, or never made because a caller died between starting the server and
  /// `createdb`, is made again by ``ensureDatabase()``). Tools run with every `PG*` variable
  /// removed from their environment and `LC_ALL=C`, and as user `postgres` (with the
  /// directories it writes chowned to it) when this process is root.
  ///
  /// - Returns: ``connectionParameters``.
  /// - Throws: ``EmbeddedClusterError`` when the socket path is too long (over 107 bytes
  ///   on Linux, `unix(7)`), the server programs are missing, the process is root and user
  ///   `postgres` does not exist or cannot reach ``root`` (the message says how to fix it),
  ///   or a tool fails (its output and the new server log lines are in
  ///   ``EmbeddedClusterError/log``).
  @discardableResult
  public func ensureRunning() throws(EmbeddedClusterError) -> [String: String] {
    try checkSocketPathLength()
    let account = try ServerAccount.forCurrentProcess()
    try prepareRoot(account: account, runner: ToolRunner(account: account))
    try withFileLock(at: lockFile) { () throws(EmbeddedClusterError) in
      let current = try status()
      if case .running = current { return }
      let binDirectory = try resolvedBinDirectory()
      let runner = ToolRunner(account: account)
      if current == .notInitialised {
        try initialise(binDirectory: binDirectory, runner: runner, account: account)
      }
      try startServer(binDirectory: binDirectory, runner: runner, account: account)
      try createDatabaseIfMissing(binDirectory: binDirectory, runner: runner)
    }
    return connectionParameters
  }

  /// Creates database `consult` when it is missing from the running server (`createdb`,
  /// under the same lock as ``ensureRunning()``; a database that exists is fine). For a
  /// caller that found the server running but could not connect because the database does
  /// not exist.
  ///
  /// - Throws: ``EmbeddedClusterError`` when the server is not running, or `createdb` fails.
  public func ensureDatabase() throws(EmbeddedClusterError) {
    let account = try ServerAccount.forCurrentProcess()
    try withFileLock(at: lockFile) { () throws(EmbeddedClusterError) in
      guard case .running = try status() else {
        throw EmbeddedClusterError(
          message: "The embedded PostgreSQL server (data directory \(dataDirectory.path)) is not running."
        )
      }
      try createDatabaseIfMissing(
        binDirectory: try resolvedBinDirectory(),
        runner: ToolRunner(account: account)
      )
    }
  }

  /// Creates the cluster if needed and starts its server: ``ensureRunning()`` without the
  /// returned parameters. Does nothing when the server already runs.
  ///
  /// - Throws: as ``ensureRunning()``.
  public func start() throws(EmbeddedClusterError) {
    try ensureRunning()
  }

  // MARK: - Stop

  /// Stops the server with `pg_ctl stop -m fast -w` (pg_ctl reference page: "fast" mode
  /// rolls back open transactions and disconnects clients, then shuts down cleanly), under
  /// the same lock as ``ensureRunning()``.
  ///
  /// Does nothing, and does not fail, when the cluster does not exist or is not running.
  ///
  /// - Throws: ``EmbeddedClusterError`` when `pg_ctl` fails and the server still runs.
  public func stop() throws(EmbeddedClusterError) {
    guard case .running = try status() else { return }
    let account = try ServerAccount.forCurrentProcess()
    try withFileLock(at: lockFile) { () throws(EmbeddedClusterError) in
      guard case .running = try status() else { return }
      let binDirectory = try resolvedBinDirectory()
      let logOffset = logFileSize()
      let result = try ToolRunner(account: account).run(
        binDirectory.appendingPathComponent("pg_ctl"),
        ["stop", "-D", dataDirectory.path, "-m", "fast", "-w"]
      )
      if !result.succeeded, case .running = try status() {
        throw EmbeddedClusterError(
          message: """
            Could not stop the embedded PostgreSQL server (data directory \
            \(dataDirectory.path)); pg_ctl exited with status \(result.status). See \
            \(logFile.path).
            """,
          log: combinedLog(toolOutput: result.output, serverLogSince: logOffset)
        )
      }
    }
  }

  // MARK: - Steps

  /// The longest path a Unix-domain socket may have: `sun_path` in `sockaddr_un` less its
  /// terminating NUL (108 - 1 = 107 bytes on Linux, `unix(7)`; 103 on macOS).
  static let maximumSocketPathLength = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

  /// The longest ``root`` path whose socket path fits: ``maximumSocketPathLength`` less
  /// `/run/.s.PGSQL.5432` (89 bytes on Linux).
  static var maximumRootPathLength: Int {
    maximumSocketPathLength - "/run/.s.PGSQL.\(port)".utf8.count
  }

  /// Fails when ``socketFile``'s path is too long to bind, as the server would at start.
  func checkSocketPathLength() throws(EmbeddedClusterError) {
    let length = socketFile.path.utf8.count
    guard length <= Self.maximumSocketPathLength else {
      let suggestion = geteuid() == 0 ? "/var/lib/consult" : "~/.consult"
      throw EmbeddedClusterError(
        message: """
          The embedded database's socket path \(socketFile.path) is \(length) bytes long, \
          more than the \(Self.maximumSocketPathLength) bytes a Unix socket path may have \
          (unix(7)), so the server could not listen there. Set CONSULT_HOME to a directory \
          whose path is at most \(Self.maximumRootPathLength) bytes long (this one is \
          \(root.path.utf8.count)), for example \(suggestion); or use a server of your own \
          (CONSULT_DATABASE_URL).
          """
      )
    }
  }

  /// ``binDirectory`` if given, else ``findBinDirectory(environment:)``.
  func resolvedBinDirectory() throws(EmbeddedClusterError) -> URL {
    if let binDirectory { return binDirectory }
    return try Self.findBinDirectory()
  }

  /// Creates `directory` (with missing parents) if needed and gives it mode 0700 and, when
  /// `account` is given, that account as owner and group.
  func createDirectory(_ directory: URL, account: ServerAccount?) throws(EmbeddedClusterError) {
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw EmbeddedClusterError(message: "Could not create \(directory.path): \(error)")
    }
    try setOwnership(of: directory, mode: 0o700, account: account)
  }

  /// Sets a file's permission bits and, when `account` is given, its owner and group
  /// (`FileManager.setAttributes`, i.e. chmod and chown).
  func setOwnership(
    of url: URL,
    mode: Int,
    account: ServerAccount?
  ) throws(EmbeddedClusterError) {
    var attributes: [FileAttributeKey: Any] = [.posixPermissions: NSNumber(value: mode)]
    if let account {
      attributes[.ownerAccountID] = NSNumber(value: account.uid)
      attributes[.groupOwnerAccountID] = NSNumber(value: account.gid)
    }
    do {
      try FileManager.default.setAttributes(attributes, ofItemAtPath: url.path)
    } catch {
      let owner = account.map { " and owner \($0.name)" } ?? ""
      throw EmbeddedClusterError(
        message: "Could not set mode \(String(mode, radix: 8))\(owner) on \(url.path): \(error)"
      )
    }
  }

  /// Runs `initdb` into ``stagingDirectory`` and renames the result to ``dataDirectory``.
  func initialise(
    binDirectory: URL,
    runner: ToolRunner,
    account: ServerAccount?
  ) throws(EmbeddedClusterError) {
    let fileManager = FileManager.default
    if fileManager.fileExists(atPath: dataDirectory.path) {
      let entries = (try? fileManager.contentsOfDirectory(atPath: dataDirectory.path)) ?? []
      guard entries.isEmpty else {
        throw EmbeddedClusterError(
          message: """
            \(dataDirectory.path) exists but holds no PostgreSQL cluster (no PG_VERSION). \
            Move it away, or set CONSULT_HOME to another directory.
            """
        )
      }
      try? fileManager.removeItem(at: dataDirectory)
    }
    if fileManager.fileExists(atPath: stagingDirectory.path) {
      // Left by an initdb that was interrupted: never a usable cluster.
      do {
        try fileManager.removeItem(at: stagingDirectory)
      } catch {
        throw EmbeddedClusterError(
          message: "Could not remove the unfinished cluster \(stagingDirectory.path): \(error)"
        )
      }
    }
    // initdb --locale=C.UTF-8, and C where the C library lacks C.UTF-8 (initdb rejects an
    // unknown locale, "invalid locale name", before creating anything).
    var result = ToolResult(status: -1, output: "")
    for locale in initdbLocales {
      result = try runInitdb(
        binDirectory: binDirectory,
        runner: runner,
        account: account,
        locale: locale
      )
      if result.succeeded || !result.output.contains("invalid locale") { break }
    }
    guard result.succeeded else {
      try? fileManager.removeItem(at: stagingDirectory)
      var message = "initdb could not create the embedded PostgreSQL cluster in \(root.path)."
      if let account {
        message += """
           The server runs as user \(account.name), which must be able to enter every \
          directory leading to \(root.path) and write in it; set CONSULT_HOME to a \
          directory it can reach (such as /var/lib/consult) if it cannot.
          """
      }
      throw EmbeddedClusterError(message: message, log: result.output)
    }

    let configuration = stagingDirectory.appendingPathComponent("postgresql.conf")
    let include = """

      # Added by consult (EmbeddedPostgres): the settings the embedded cluster needs,
      # rewritten before every start.
      include = '\(Self.settingsFileName)'

      """
    do {
      let handle = try FileHandle(forWritingTo: configuration)
      defer { try? handle.close() }
      try handle.seekToEnd()
      try handle.write(contentsOf: Data(include.utf8))
    } catch {
      throw EmbeddedClusterError(message: "Could not append to \(configuration.path): \(error)")
    }
    guard rename(stagingDirectory.path, dataDirectory.path) == 0 else {
      throw EmbeddedClusterError(
        message: """
          Could not rename \(stagingDirectory.path) to \(dataDirectory.path): \
          \(String(cString: strerror(errno)))
          """
      )
    }
  }

  /// Makes an empty ``stagingDirectory`` and runs `initdb` into it with `locale`.
  func runInitdb(
    binDirectory: URL,
    runner: ToolRunner,
    account: ServerAccount?,
    locale: String
  ) throws(EmbeddedClusterError) -> ToolResult {
    try? FileManager.default.removeItem(at: stagingDirectory)
    try createDirectory(stagingDirectory, account: account)
    return try runner.run(
      binDirectory.appendingPathComponent("initdb"),
      [
        "-D", stagingDirectory.path, "-U", Self.superuser, "--auth=trust", "-E", "UTF8",
        "--locale=\(locale)",
      ]
    )
  }

  /// The text of `data/consult.conf`: socket-only listening in ``socketDirectory``.
  var settingsFileContents: String {
    """
    # Written by consult (EmbeddedPostgres) before every start; changes here are lost.
    # Unix-domain socket only, no TCP (PostgreSQL docs, "Connections and Authentication").
    listen_addresses = ''
    port = \(Self.port)
    unix_socket_directories = '\(Self.quotedSettingValue(socketDirectory.path))'
    unix_socket_permissions = 0700

    """
  }

  /// Escapes a value for a single-quoted string in `postgresql.conf` (PostgreSQL docs,
  /// "Setting Parameters": a quote is doubled; backslash is an escape character).
  static func quotedSettingValue(_ value: String) -> String {
    value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''")
  }

  /// Writes `data/consult.conf` (when its contents changed), makes `run/` and `log/`, and
  /// runs `pg_ctl start -w`.
  func startServer(
    binDirectory: URL,
    runner: ToolRunner,
    account: ServerAccount?
  ) throws(EmbeddedClusterError) {
    try createDirectory(socketDirectory, account: account)
    try createDirectory(logFile.deletingLastPathComponent(), account: account)

    let settings = dataDirectory.appendingPathComponent(Self.settingsFileName)
    let contents = Data(settingsFileContents.utf8)
    if FileManager.default.contents(atPath: settings.path) != contents {
      do {
        try contents.write(to: settings, options: .atomic)
      } catch {
        throw EmbeddedClusterError(message: "Could not write \(settings.path): \(error)")
      }
      try setOwnership(of: settings, mode: 0o600, account: account)
    }

    let logOffset = logFileSize()
    let result = try runner.run(
      binDirectory.appendingPathComponent("pg_ctl"),
      ["start", "-D", dataDirectory.path, "-l", logFile.path, "-w"]
    )
    guard result.succeeded else {
      throw EmbeddedClusterError(
        message: """
          Could not start the embedded PostgreSQL server (data directory \
          \(dataDirectory.path)); pg_ctl exited with status \(result.status). See \
          \(logFile.path).
          """,
        log: combinedLog(toolOutput: result.output, serverLogSince: logOffset)
      )
    }
  }

  /// Runs `createdb consult` over the socket; a database that already exists is fine.
  func createDatabaseIfMissing(
    binDirectory: URL,
    runner: ToolRunner
  ) throws(EmbeddedClusterError) {
    let createdb = binDirectory.appendingPathComponent("createdb")
    guard FileManager.default.isExecutableFile(atPath: createdb.path) else {
      throw EmbeddedClusterError(
        message: """
          createdb was not found in \(binDirectory.path); install PostgreSQL's client programs \
          (Debian/Ubuntu: apt-get install postgresql).
          """
      )
    }
    let result = try runner.run(
      createdb,
      [
        "-h", socketDirectory.path, "-p", String(Self.port), "-U", Self.superuser,
        "--no-password", Self.databaseName,
      ]
    )
    guard result.succeeded || result.output.contains("already exists") else {
      throw EmbeddedClusterError(
        message: """
          Could not create database \(Self.databaseName) in the embedded cluster \
          (socket \(socketDirectory.path)); createdb exited with status \(result.status).
          """,
        log: result.output
      )
    }
  }

  // MARK: - Logs

  /// The size of ``logFile`` in bytes, 0 when it does not exist.
  func logFileSize() -> UInt64 {
    let attributes = try? FileManager.default.attributesOfItem(atPath: logFile.path)
    return (attributes?[.size] as? NSNumber)?.uint64Value ?? 0
  }

  /// The last `maximumLines` lines that the server logged from byte `offset` on (at most
  /// the last 16 KiB), or `nil` when there are none.
  func serverLog(since offset: UInt64, maximumLines: Int = 40) -> String? {
    guard let handle = FileHandle(forReadingAtPath: logFile.path) else { return nil }
    defer { try? handle.close() }
    guard let size = try? handle.seekToEnd(), size > offset else { return nil }
    let start = max(offset, size > 16_384 ? size - 16_384 : 0)
    guard (try? handle.seek(toOffset: start)) != nil,
      let data = try? handle.readToEnd()
    else { return nil }
    let lines = String(decoding: data, as: UTF8.self).split(
      separator: "\n",
      omittingEmptySubsequences: false
    )
    return lines.suffix(maximumLines).joined(separator: "\n")
  }

  /// A tool's output followed by the server log lines written since `offset`.
  func combinedLog(toolOutput: String, serverLogSince offset: UInt64) -> String {
    var parts: [String] = []
    let output = toolOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    if !output.isEmpty { parts.append(output) }
    if let log = serverLog(since: offset)?.trimmingCharacters(in: .whitespacesAndNewlines),
      !log.isEmpty
    {
      parts.append("\(logFile.path):\n\(log)")
    }
    return parts.joined(separator: "\n")
  }
}
