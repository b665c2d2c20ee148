import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The unprivileged account that runs the server (and the PostgreSQL tools) when this
/// process is root: PostgreSQL refuses to run as root (docs, "The PostgreSQL User Account"
/// and "Starting the Database Server"), so the cluster's files belong to it instead.
struct ServerAccount: Sendable, Equatable {
  /// The account's login name: `postgres`, the user the Debian/Ubuntu `postgresql`
  /// packages create.
  var name: String
  var uid: uid_t
  var gid: gid_t

  /// The name of the account used when running as root.
  static let defaultName = "postgres"

  /// The account to switch to, or `nil` when this process is not root and so runs the
  /// tools itself.
  ///
  /// - Throws: when the effective user is root and the `postgres` user does not exist.
  static func forCurrentProcess() throws(EmbeddedClusterError) -> ServerAccount? {
    guard geteuid() == 0 else { return nil }
    return try lookUp(defaultName)
  }

  /// Looks an account up in the user database (`getpwnam(3)`).
  static func lookUp(_ name: String) throws(EmbeddedClusterError) -> ServerAccount {
    guard let entry = getpwnam(name) else {
      throw EmbeddedClusterError(
        message: """
          PostgreSQL refuses to run as root, so the embedded cluster runs as the system user \
          '\(name)', which does not exist. Install the PostgreSQL server \
          (apt-get install postgresql creates it), create the user, or run consult as an \
          unprivileged user.
          """
      )
    }
    return ServerAccount(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
  }
}

/// The outcome of one tool run: its exit status and everything it wrote to stdout and
/// stderr (interleaved, as a person would have seen it).
struct ToolResult: Sendable {
  /// The exit status; a negative number `-n` when the tool was killed by signal `n`.
  var status: Int32
  var output: String
  var succeeded: Bool { status == 0 }
}

/// Runs PostgreSQL's programs for the embedded cluster: as the current user, or through
/// `runuser -u postgres --` (util-linux; `setpriv` as a fall-back) when the current user is
/// root, in a cleaned environment.
struct ToolRunner: Sendable {
  /// The account to run as, or `nil` to run as the current user.
  var account: ServerAccount?
  /// The environment given to every tool: see ``toolEnvironment(from:)``.
  var environment: [String: String]

  init(
    account: ServerAccount?,
    environment: [String: String] = toolEnvironment(from: ProcessInfo.processInfo.environment)
  ) {
    self.account = account
    self.environment = environment
  }

  /// The environment for child tools: `base` without any `PG*` variable, so that a stray
  /// `PGHOST`, `PGPORT`, `PGDATA` or `PGDATABASE` (libpq docs, "Environment Variables")
  /// cannot redirect `createdb` to another server or change the port the server picks.
  static func toolEnvironment(from base: [String: String]) -> [String: String] {
    base.filter { !$0.key.hasPrefix("PG") }
  }

  /// Runs `executable` with `arguments` (as the server account when there is one), waits for
  /// it, and returns its status and combined output.
  ///
  /// The output goes to an unlinked temporary file rather than a pipe, so that a daemon the
  /// tool leaves behind (the postmaster started by `pg_ctl start`) can never keep the
  /// reader waiting. Standard input is `/dev/null`; the working directory is `/`, which the
  /// server account can always enter.
  ///
  /// - Throws: only when the program cannot be launched at all; a non-zero exit is
  ///   reported in the result.
  func run(_ executable: URL, _ arguments: [String]) throws(EmbeddedClusterError) -> ToolResult {
    var launchPath = executable
    var launchArguments = arguments
    if let account {
      let (wrapper, prefix) = try Self.switchUserCommand(for: account)
      launchPath = wrapper
      launchArguments = prefix + [executable.path] + arguments
    }
    return try Self.launch(launchPath, launchArguments, environment: environment)
  }

  /// The command that runs a program as `account`: `runuser -u NAME --` or, where util-linux's
  /// `runuser` is missing, `setpriv --reuid=NAME --regid=NAME --init-groups --`.
  static func switchUserCommand(
    for account: ServerAccount
  ) throws(EmbeddedClusterError) -> (URL, [String]) {
    let fileManager = FileManager.default
    for path in ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"]
    where fileManager.isExecutableFile(atPath: path) {
      return (URL(fileURLWithPath: path), ["-u", account.name, "--"])
    }
    for path in ["/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv"]
    where fileManager.isExecutableFile(atPath: path) {
      return (
        URL(fileURLWithPath: path),
        ["--reuid=\(account.name)", "--regid=\(account.name)", "--init-groups", "--"]
      )
    }
    throw EmbeddedClusterError(
      message: """
        Running as root, the PostgreSQL server must run as user '\(account.name)', but neither \
        runuser nor setpriv (util-linux) was found. Install util-linux or run consult as an \
        unprivileged user.
        """
    )
  }

  /// Launches a program directly and collects its output; see ``run(_:_:)``.
  static func launch(
    _ executable: URL,
    _ arguments: [String],
    environment: [String: String]
  ) throws(EmbeddedClusterError) -> ToolResult {
    let commandLine = ([executable.path] + arguments).joined(separator: " ")
    let capture: FileHandle
    do {
      capture = try temporaryCaptureFile()
    } catch {
      throw EmbeddedClusterError(
        message: "Could not create a temporary file to capture the output of \(commandLine): \(error)"
      )
    }
    defer { try? capture.close() }

    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.environment = environment
    process.currentDirectoryURL = URL(fileURLWithPath: "/", isDirectory: true)
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = capture
    process.standardError = capture
    do {
      try process.run()
    } catch {
      throw EmbeddedClusterError(message: "Could not run \(commandLine): \(error)")
    }
    process.waitUntilExit()

    var output = ""
    do {
      try capture.seek(toOffset: 0)
      if let data = try capture.readToEnd() {
        output = String(decoding: data, as: UTF8.self)
      }
    } catch {
      output = "(could not read the output: \(error))"
    }
    let status =
      process.terminationReason == .uncaughtSignal
      ? -process.terminationStatus : process.terminationStatus
    return ToolResult(status: status, output: output)
  }

  /// Opens a new, already unlinked file in the temporary directory for reading and writing.
  private static func temporaryCaptureFile() throws -> FileHandle {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("consult-tool-\(UUID().uuidString).log")
    let descriptor = open(url.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else {
      throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
    }
    unlink(url.path)
    return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
  }
}

/// An exclusive advisory lock on a file (`flock(2)`), held while `body` runs.
///
/// `flock` locks belong to an open file description, so two processes, and equally two
/// threads of one process that each open the file, exclude each other. The descriptor is
/// opened close-on-exec so that the postmaster started while the lock is held does not
/// inherit it (it would otherwise keep the lock for its whole life).
///
/// - Throws: when the lock file cannot be opened or locked, or whatever `body` throws.
func withFileLock<T>(
  at url: URL,
  _ body: () throws(EmbeddedClusterError) -> T
) throws(EmbeddedClusterError) -> T {
  let descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
  guard descriptor >= 0 else {
    throw EmbeddedClusterError(
      message: "Could not open the lock file \(url.path): \(String(cString: strerror(errno)))"
    )
  }
  defer { close(descriptor) }
  while flock(descriptor, LOCK_EX) != 0 {
    let code = errno
    if code == EINTR { continue }
    throw EmbeddedClusterError(
      message: "Could not lock \(url.path): \(String(cString: strerror(code)))"
    )
  }
  defer { flock(descriptor, LOCK_UN) }
  return try body()
}
