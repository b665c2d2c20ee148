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
  /// Every group the account is in: its primary group and the supplementary ones
  /// (`getgrouplist(3)`), which decide whether it may enter a directory by its group bits.
  var groups: [gid_t] = []

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

  /// Looks an account up in the user database (`getpwnam_r(3)`, safe from any thread).
  static func lookUp(_ name: String) throws(EmbeddedClusterError) -> ServerAccount {
    var entry = passwd()
    var found: UnsafeMutablePointer<passwd>? = nil
    var buffer = [CChar](repeating: 0, count: 16_384)
    let code = getpwnam_r(name, &entry, &buffer, buffer.count, &found)
    guard code == 0, found != nil else {
      throw EmbeddedClusterError(
        message: """
          PostgreSQL refuses to run as root, so the embedded cluster runs as the system user \
          '\(name)', which does not exist. Install the PostgreSQL server \
          (apt-get install postgresql creates it), create the user, or run consult as an \
          unprivileged user.
          """
      )
    }
    return ServerAccount(
      name: name,
      uid: entry.pw_uid,
      gid: entry.pw_gid,
      groups: groupList(name: name, primary: entry.pw_gid)
    )
  }

  /// The groups of user `name` whose primary group is `primary` (`getgrouplist(3)`);
  /// at least `[primary]`.
  static func groupList(name: String, primary: gid_t) -> [gid_t] {
    var count: Int32 = 64
    for _ in 0..<4 {
      let capacity = count
      #if canImport(Darwin)
        // Darwin declares the groups as `int`.
        var found = [Int32](repeating: 0, count: Int(count))
        if getgrouplist(name, Int32(bitPattern: primary), &found, &count) >= 0 {
          return found.prefix(Int(count)).map { gid_t(bitPattern: $0) }
        }
      #else
        var found = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, primary, &found, &count) >= 0 {
          return Array(found.prefix(Int(count)))
        }
      #endif
      // Too small: `count` now holds the number needed (glibc); grow and try again.
      count = max(count, capacity * 2)
    }
    return [primary]
  }

  /// Whether this account may enter (search) a directory with the given owner, group and
  /// mode, by the permission bits alone (`path_resolution(7)`): the owner bits when it owns
  /// it, else the group bits when it is in the group, else the bits for others. Access
  /// control lists are not read; see ``EmbeddedCluster`` for how a "no" is double-checked.
  func maySearch(owner: uid_t, group: gid_t, mode: mode_t) -> Bool {
    if owner == uid { return mode & S_IXUSR != 0 }
    if group == gid || groups.contains(group) { return mode & S_IXGRP != 0 }
    return mode & S_IXOTH != 0
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
  /// cannot redirect `createdb` to another server or change the port the server picks;
  /// and with `LC_ALL=C`, so the tools print untranslated messages (their output is
  /// matched, e.g. for "invalid locale"). The cluster's own locale is set explicitly.
  static func toolEnvironment(from base: [String: String]) -> [String: String] {
    var environment = base.filter { !$0.key.hasPrefix("PG") }
    environment["LC_ALL"] = "C"
    return environment
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

  /// Launches a program directly, waits for it and collects its output; see ``run(_:_:)``.
  ///
  /// This uses `posix_spawn(3)` rather than Foundation's `Process`: on Linux, `Process`
  /// learns that its child ended from a socket it passes down to the child, so when the
  /// child leaves a daemon behind (as `pg_ctl start` leaves the postmaster) the daemon
  /// inherits that socket and `waitUntilExit()` never returns (swift-corelibs-foundation
  /// issue #4795). Here the child gets only standard input (`/dev/null`), output and error
  /// (the capture file): every other descriptor is closed, signal dispositions and the
  /// signal mask are reset, and the parent waits with `waitpid(2)` on that one child.
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
        message:
          "Could not create a temporary file to capture the output of \(commandLine): \(error)"
      )
    }
    defer { try? capture.close() }

    let status: Int32
    switch spawnAndWait(
      executable.path,
      arguments,
      environment: environment,
      output: capture.fileDescriptor
    ) {
    case .success(let exit): status = exit
    case .failure(let code):
      throw EmbeddedClusterError(
        message: "Could not run \(commandLine): \(String(cString: strerror(code.rawValue)))"
      )
    }

    var output = ""
    do {
      try capture.seek(toOffset: 0)
      if let data = try capture.readToEnd() {
        output = String(decoding: data, as: UTF8.self)
      }
    } catch {
      output = "(could not read the output: \(error))"
    }
    return ToolResult(status: status, output: output)
  }

  /// The `errno` of a failed spawn.
  struct SpawnError: Error {
    var rawValue: Int32
  }

  /// Spawns `path` with `arguments` and `environment`, standard input from `/dev/null` and
  /// standard output and error to `output`, and waits for it.
  ///
  /// - Returns: the exit status, or `-n` when the child was killed by signal `n`; or the
  ///   `errno` when it could not be started.
  static func spawnAndWait(
    _ path: String,
    _ arguments: [String],
    environment: [String: String],
    output: Int32
  ) -> Result<Int32, SpawnError> {
    #if canImport(Darwin)
      var fileActions: posix_spawn_file_actions_t = nil
      var attributes: posix_spawnattr_t = nil
    #else
      var fileActions = posix_spawn_file_actions_t()
      var attributes = posix_spawnattr_t()
    #endif
    posix_spawn_file_actions_init(&fileActions)
    defer { posix_spawn_file_actions_destroy(&fileActions) }
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }

    posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&fileActions, output, 1)
    posix_spawn_file_actions_adddup2(&fileActions, output, 2)

    var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
    #if canImport(Darwin)
      // Every descriptor not named in the file actions is closed in the child.
      flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
      posix_spawn_file_actions_addchdir_np(&fileActions, "/")
    #else
      // glibc declares these two only for _GNU_SOURCE, which Swift's Glibc module does not
      // define, so they are looked up at run time.
      if let addChdir = GlibcSpawnExtensions.addChdir {
        _ = addChdir(&fileActions, "/")
      }
      if let addClosefrom = GlibcSpawnExtensions.addClosefrom {
        _ = addClosefrom(&fileActions, 3)
      } else {
        // glibc before 2.34: close what is open now, one by one.
        for descriptor in openDescriptors() where descriptor > 2 {
          posix_spawn_file_actions_addclose(&fileActions, descriptor)
        }
      }
    #endif
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    var allSignals = sigset_t()
    sigfillset(&allSignals)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    posix_spawnattr_setflags(&attributes, Int16(flags))

    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for argument in argv { free(argument) } }
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for variable in envp { free(variable) } }

    var pid = pid_t()
    let spawned = posix_spawn(&pid, path, &fileActions, &attributes, argv, envp)
    guard spawned == 0 else { return .failure(SpawnError(rawValue: spawned)) }

    var waitStatus: Int32 = 0
    while waitpid(pid, &waitStatus, 0) == -1 {
      guard errno == EINTR else { return .failure(SpawnError(rawValue: errno)) }
    }
    // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import (they are macros).
    let signal = waitStatus & 0x7f
    return .success(signal == 0 ? (waitStatus >> 8) & 0xff : -signal)
  }

  /// This process's open file descriptors, from `/proc/self/fd` (or `/dev/fd`).
  static func openDescriptors() -> [Int32] {
    for directory in ["/proc/self/fd", "/dev/fd"] {
      if let names = try? FileManager.default.contentsOfDirectory(atPath: directory) {
        return names.compactMap { Int32($0) }
      }
    }
    return []
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

#if !canImport(Darwin)
  /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29) and
  /// `posix_spawn_file_actions_addclosefrom_np` (2.34), found with `dlsym(3)`; `nil` where
  /// the C library lacks them.
  enum GlibcSpawnExtensions {
    typealias AddChdir =
      @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) ->
      Int32
    typealias AddClosefrom =
      @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np")
    static let addClosefrom: AddClosefrom? = symbol("posix_spawn_file_actions_addclosefrom_np")

    private static func symbol<T>(_ name: String) -> T? {
      guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, name) else {
        return nil
      }
      return unsafeBitCast(address, to: T.self)
    }
  }
#endif

/// A shared advisory lock on the lock file at `url` (`flock(2)`, `LOCK_SH`), held while
/// `body` runs: it waits while another process holds the exclusive lock of
/// ``withFileLock(at:_:)`` (starting or stopping the server), and readers do not wait for
/// one another. When the file does not exist or cannot be opened for reading, `body` runs
/// without the lock (nothing was ever started there, or the files belong to another user,
/// which `body` then reports).
///
/// - Throws: whatever `body` throws.
func withSharedFileLockIfPresent<T>(
  at url: URL,
  _ body: () throws(EmbeddedClusterError) -> T
) throws(EmbeddedClusterError) -> T {
  let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
  guard descriptor >= 0 else { return try body() }
  defer { close(descriptor) }
  while flock(descriptor, LOCK_SH) != 0 {
    if errno == EINTR { continue }
    return try body()
  }
  defer { flock(descriptor, LOCK_UN) }
  return try body()
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
