import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Creating ``EmbeddedCluster/root`` and making sure the server's account can reach it.
///
/// When consult runs as root, the server runs as `postgres`, which must be able to enter
/// (search, the `x` bit) every directory on the way to the cluster (`path_resolution(7)`).
/// The rules:
///
/// - Directories consult creates on the way (``root`` and missing parents) get mode 0711
///   (0700 for ``root`` when not root): `postgres` can pass through, no one else can list
///   them. They are made under a temporary name and renamed into place, so a concurrent
///   consult never sees one with the wrong mode.
/// - A directory consult did not create is never changed, with one exception: an existing
///   ``root`` owned by the invoking user that holds nothing but consult's own files (a fresh
///   `mktemp -d`, or a home left by an earlier failed attempt) was handed to consult, so it
///   gets `o+x` added (0700 becomes 0701). Any other directory `postgres` cannot enter is an
///   error that names the directory and the exact command that fixes it.
/// - The parts the server writes (`data/`, `data.initdb/`, `run/`, `log/`) belong to
///   `postgres` with mode 0700; ``root`` itself and the lock file stay the invoking user's,
///   so the server's account cannot replace them.
extension EmbeddedCluster {
  /// The entries consult itself keeps in ``root``.
  static let ownEntryNames: Set<String> = ["lock", "data", "data.initdb", "run", "log"]

  /// The mode of directories consult creates as root on the way to the cluster: `postgres`
  /// (as "others") may pass through them; only their owner may list them.
  static let traversableMode: mode_t = 0o711

  /// Creates ``root`` (and missing parents) when needed and, when the server runs as
  /// `account`, makes sure that account can reach it (see the rules above).
  ///
  /// Nothing is created when an existing directory on the way cannot be passed.
  ///
  /// - Parameters:
  ///   - account: the account the server runs as, or `nil` when it runs as this process's
  ///     user (who creates the directories and so can enter them).
  ///   - runner: runs `test -x` as `account` to double-check a directory its permission
  ///     bits say the account cannot enter (an access control list may let it).
  /// - Throws: ``EmbeddedClusterError`` when a path component exists but is not a directory,
  ///   when this user cannot reach or create the directories, or when `account` cannot enter
  ///   a directory consult may not change (the message names the command that fixes it).
  func prepareRoot(account: ServerAccount?, runner: ToolRunner) throws(EmbeddedClusterError) {
    let prefixes = Self.pathPrefixes(of: root.path)
    var firstMissing = prefixes.count
    for (index, prefix) in prefixes.enumerated() {
      var info = stat()
      if stat(prefix, &info) == 0 {
        guard info.st_mode & S_IFMT == S_IFDIR else {
          throw EmbeddedClusterError(
            message: """
              \(prefix) is not a directory, so the embedded database cannot live in \
              \(root.path). Set CONSULT_HOME to another directory.
              """
          )
        }
        continue
      }
      let code = errno
      guard code == ENOENT else {
        let place =
          prefix == root.path
          ? "the embedded database's directory" : "on the way to the embedded database in \(root.path)"
        throw EmbeddedClusterError(
          message: """
            Cannot reach \(prefix), \(place): \(String(cString: strerror(code))). Set \
            CONSULT_HOME to a directory of your own.
            """
        )
      }
      firstMissing = index
      break
    }

    if let account {
      // Fail before creating anything when an existing directory cannot be passed.
      try checkReachable(Array(prefixes[..<firstMissing]), by: account, runner: runner)
    }
    guard firstMissing < prefixes.count else { return }
    for index in firstMissing..<prefixes.count {
      try makeDirectory(
        prefixes[index],
        isRoot: index == prefixes.count - 1,
        asRoot: account != nil
      )
    }
    if let account {
      // A directory another program created meanwhile is judged like any other.
      try checkReachable(prefixes, by: account, runner: runner)
    }
  }

  /// `/a/b/c` → `["/", "/a", "/a/b", "/a/b/c"]`.
  static func pathPrefixes(of path: String) -> [String] {
    var prefixes = ["/"]
    var current = ""
    for component in path.split(separator: "/", omittingEmptySubsequences: true) {
      current += "/" + component
      prefixes.append(current)
    }
    return prefixes
  }

  /// Throws unless `account` can enter every directory in `directories` and, when the last
  /// of them is reached through symbolic links, every directory on its real path.
  /// A handed-over ``root`` (see above) gets `o+x` instead.
  func checkReachable(
    _ directories: [String],
    by account: ServerAccount,
    runner: ToolRunner
  ) throws(EmbeddedClusterError) {
    guard let deepest = directories.last else { return }
    var candidates = directories
    if let real = realpath(deepest, nil) {
      defer { free(real) }
      for prefix in Self.pathPrefixes(of: String(cString: real))
      where !candidates.contains(prefix) {
        candidates.append(prefix)
      }
    }
    let realRoot = root.resolvingSymlinksInPath().path
    for directory in candidates {
      var info = stat()
      guard stat(directory, &info) == 0 else { continue }
      if account.maySearch(owner: info.st_uid, group: info.st_gid, mode: info.st_mode) {
        continue
      }
      if try runsTestSearchable(directory, runner: runner) { continue }
      let isRoot = directory == root.path || directory == realRoot
      if isRoot, isHandedOver(info) {
        guard chmod(directory, (info.st_mode & 0o7777) | S_IXOTH) == 0 else {
          throw EmbeddedClusterError(
            message: """
              Could not let the user '\(account.name)' enter \(directory) (chmod o+x): \
              \(String(cString: strerror(errno)))
              """
          )
        }
        continue
      }
      throw unreachable(directory, info: info, isRoot: isRoot, account: account)
    }
  }

  /// Whether `test -x DIRECTORY`, run as the runner's account, succeeds: the final word on
  /// whether that account can enter it (it honours access control lists). `false` when
  /// `test` cannot be found or run.
  func runsTestSearchable(
    _ directory: String,
    runner: ToolRunner
  ) throws(EmbeddedClusterError) -> Bool {
    let candidates = ["/usr/bin/test", "/bin/test"]
    guard let test = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) })
    else { return false }
    return try runner.run(URL(fileURLWithPath: test), ["-x", directory]).succeeded
  }

  /// Whether an existing ``root`` was handed to consult: owned by this process's effective
  /// user and holding nothing but ``ownEntryNames``.
  func isHandedOver(_ info: stat) -> Bool {
    guard info.st_uid == geteuid(),
      let entries = try? FileManager.default.contentsOfDirectory(atPath: root.path)
    else { return false }
    return entries.allSatisfy { Self.ownEntryNames.contains($0) }
  }

  /// The error for a directory the server's account cannot enter and consult may not change.
  func unreachable(
    _ directory: String,
    info: stat,
    isRoot: Bool,
    account: ServerAccount
  ) -> EmbeddedClusterError {
    let owner = Self.userName(info.st_uid)
    let mode = String(info.st_mode & 0o7777, radix: 8)
    let what =
      isRoot
      ? "\(directory), the embedded database's directory (it holds files of its own, so consult leaves it as it is)"
      : "\(directory), on the way to the embedded database in \(root.path) (consult did not create it, so it leaves it as it is)"
    var alternative = "set CONSULT_HOME to a directory the user '\(account.name)' can reach"
    if !root.path.hasPrefix("/var/lib/consult") {
      alternative += ", such as /var/lib/consult (the default for root)"
    }
    return EmbeddedClusterError(
      message: """
        Running as root, consult runs the embedded PostgreSQL server as the user \
        '\(account.name)' (PostgreSQL refuses to run as root), and '\(account.name)' cannot \
        enter \(what): owner \(owner), mode \(mode). Either run `chmod o+x \
        \(Self.shellQuoted(directory))` (every user may then pass through it, not list it), \
        or \(alternative).
        """
    )
  }

  /// Makes one directory consult creates: as root with ``traversableMode``, under a
  /// temporary name in the same parent, renamed into place (so no one sees it with the
  /// mode the umask gave it); otherwise with `mkdir(2)` (0700 for ``root``, 0777 less the
  /// umask for a parent, like `mkdir -p`). A directory that appeared meanwhile is kept.
  func makeDirectory(_ path: String, isRoot: Bool, asRoot: Bool) throws(EmbeddedClusterError) {
    func failure(_ code: Int32) -> EmbeddedClusterError {
      EmbeddedClusterError(
        message: """
          Could not create \(path) for the embedded database: \(String(cString: strerror(code))). \
          Set CONSULT_HOME to a directory of your own.
          """
      )
    }
    func existsAsDirectory() -> Bool {
      var info = stat()
      return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }
    guard asRoot else {
      if mkdir(path, isRoot ? 0o700 : 0o777) == 0 {
        if isRoot { chmod(path, 0o700) }
        return
      }
      let code = errno
      if code == EEXIST, existsAsDirectory() { return }
      throw failure(code)
    }
    let parent = (path as NSString).deletingLastPathComponent
    var template = Array((parent == "/" ? "" : parent).utf8CString.dropLast())
    template += Array("/.consult-new-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw failure(errno) }
    let temporary = String(cString: made)
    guard chmod(temporary, Self.traversableMode) == 0 else {
      let code = errno
      rmdir(temporary)
      throw failure(code)
    }
    // rename(2) puts it in place, or fails when a directory with entries is already there
    // (one made by a concurrent consult, already in use).
    if rename(temporary, path) == 0 { return }
    let code = errno
    rmdir(temporary)
    if code == EEXIST || code == ENOTEMPTY, existsAsDirectory() { return }
    throw failure(code)
  }

  /// The login name of user `uid`, or `uid N` when it has none.
  static func userName(_ uid: uid_t) -> String {
    var entry = passwd()
    var found: UnsafeMutablePointer<passwd>? = nil
    var buffer = [CChar](repeating: 0, count: 16_384)
    guard getpwuid_r(uid, &entry, &buffer, buffer.count, &found) == 0, found != nil,
      let name = entry.pw_name
    else { return "uid \(uid)" }
    return String(cString: name)
  }

  /// `text` as one word for a POSIX shell: as it is when it holds only characters no shell
  /// treats specially, else in single quotes (a quote written `'\''`).
  static func shellQuoted(_ text: String) -> String {
    let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:@%,")
    if !text.isEmpty, text.allSatisfy({ plain.contains($0) }) { return text }
    return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}
