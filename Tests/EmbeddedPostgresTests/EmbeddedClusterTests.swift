import Foundation
import Testing

@testable import EmbeddedPostgres

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// These tests really run initdb, pg_ctl, createdb and psql, each in its own temporary root.
@Suite("Embedded cluster lifecycle")
struct EmbeddedClusterTests {
  @Test("status, ensureRunning, stop and start move the cluster through its states")
  func lifecycle() throws {
    try withTemporaryCluster { cluster in
      #expect(try cluster.status() == .notInitialised)

      let parameters = try cluster.ensureRunning()
      #expect(
        parameters == [
          "host": cluster.socketDirectory.path, "port": "5432", "user": "consult",
          "dbname": "consult",
        ]
      )
      #expect(parameters == cluster.connectionParameters)
      guard case .running(let pid) = try cluster.status() else {
        Issue.record("not running after ensureRunning")
        return
      }

      let select = try psql(cluster, "select 1")
      #expect(select.status == 0)
      #expect(select.text == "1")
      let identity = try psql(cluster, "select current_user || ' ' || current_database()")
      #expect(identity.text == "consult consult")

      // A second call leaves the running server alone.
      #expect(try cluster.ensureRunning() == parameters)
      #expect(try cluster.status() == .running(pid: pid))

      try cluster.stop()
      #expect(try cluster.status() == .stopped)
      #expect(try psql(cluster, "select 1").status != 0)
      try cluster.stop()  // stopping a stopped cluster is fine
      #expect(try cluster.status() == .stopped)

      try cluster.start()
      guard case .running(let restarted) = try cluster.status() else {
        Issue.record("not running after start")
        return
      }
      #expect(restarted != pid)
      #expect(try psql(cluster, "select 2").text == "2")

      try cluster.stop()
      #expect(try cluster.status() == .stopped)
    }
  }

  @Test("the server listens on the Unix socket only, owner-only, with the expected settings")
  func settings() throws {
    try withTemporaryCluster { cluster in
      try cluster.ensureRunning()
      #expect(try psql(cluster, "show listen_addresses").text == "")
      #expect(try psql(cluster, "show unix_socket_permissions").text == "0700")
      #expect(
        try psql(cluster, "show unix_socket_directories").text == cluster.socketDirectory.path
      )
      #expect(try psql(cluster, "show server_encoding").text == "UTF8")
      #expect(
        try psql(cluster, "select datcollate from pg_database where datname = 'consult'").text
          == "C.UTF-8")
      #expect(
        try psql(cluster, "select rolsuper from pg_roles where rolname = 'consult'").text == "t")
      #expect(
        FileManager.default.fileExists(atPath: cluster.socketDirectory.path + "/.s.PGSQL.5432"))
      #expect(FileManager.default.fileExists(atPath: cluster.logFile.path))
      #expect(!FileManager.default.fileExists(atPath: cluster.stagingDirectory.path))

      let attributes = try FileManager.default.attributesOfItem(atPath: cluster.dataDirectory.path)
      #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
      let rootAttributes = try FileManager.default.attributesOfItem(atPath: cluster.root.path)
      // As root, the server's account must pass through the root (0711); otherwise 0700.
      #expect(
        (rootAttributes[.posixPermissions] as? NSNumber)?.intValue == (geteuid() == 0 ? 0o711 : 0o700))
      #expect((rootAttributes[.ownerAccountID] as? NSNumber)?.uint32Value == geteuid())
      if geteuid() == 0 {
        // Run as root: everything the server touches belongs to `postgres`; the root and the
        // lock file stay root's, so the server's account cannot replace them.
        let postgres = try #require(getpwnam("postgres")).pointee.pw_uid
        for url in [cluster.dataDirectory, cluster.socketDirectory, cluster.logFile] {
          let owner = try FileManager.default.attributesOfItem(atPath: url.path)[.ownerAccountID]
          #expect((owner as? NSNumber)?.uint32Value == postgres, "owner of \(url.path)")
        }
        let lockOwner = try FileManager.default.attributesOfItem(atPath: cluster.lockFile.path)[
          .ownerAccountID]
        #expect((lockOwner as? NSNumber)?.uint32Value == 0)
      }
    }
  }

  @Test("two concurrent ensureRunning calls on a fresh root both succeed")
  func concurrentEnsureRunning() throws {
    try withTemporaryCluster { cluster in
      let results = onSeparateThreads(2) { _ in
        Result { () throws(EmbeddedClusterError) in try cluster.ensureRunning() }
      }
      for result in results {
        #expect(try result.get() == cluster.connectionParameters)
      }
      guard case .running = try cluster.status() else {
        Issue.record("not running")
        return
      }
      #expect(try psql(cluster, "select 1").text == "1")
    }
  }

  @Test("concurrent stops and starts on a running cluster end in a consistent state")
  func concurrentStopAndStart() throws {
    try withTemporaryCluster { cluster in
      try cluster.ensureRunning()
      let results = onSeparateThreads(4) { index in
        Result { () throws(EmbeddedClusterError) in
          if index.isMultiple(of: 2) { try cluster.stop() } else { try cluster.start() }
        }
      }
      for result in results { #expect(throws: Never.self) { try result.get() } }
      try cluster.ensureRunning()
      #expect(try psql(cluster, "select 1").text == "1")
    }
  }

  @Test("an existing root directory is used as it is")
  func existingRoot() throws {
    try withTemporaryCluster { cluster in
      try FileManager.default.createDirectory(at: cluster.root, withIntermediateDirectories: true)
      try FileManager.default.setAttributes(
        [.posixPermissions: 0o755], ofItemAtPath: cluster.root.path)
      try cluster.ensureRunning()
      #expect(try psql(cluster, "select 1").text == "1")
      let mode = try FileManager.default.attributesOfItem(atPath: cluster.root.path)[
        .posixPermissions]
      #expect((mode as? NSNumber)?.intValue == 0o755)
    }
  }

  @Test(
    "as root, a parent the postgres user cannot enter is left alone and named with the command that fixes it",
    .enabled(if: geteuid() == 0, "only root switches to the postgres user")
  )
  func unreachableParentAsRoot() throws {
    let parent = temporaryRoot()
    defer { try? FileManager.default.removeItem(at: parent) }
    try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: parent.path)
    let cluster = EmbeddedCluster(
      root: parent.appendingPathComponent("home/consult", isDirectory: true),
      binDirectory: try serverBinDirectory()
    )
    defer { destroy(cluster) }
    let error = try #require(throws: EmbeddedClusterError.self) { try cluster.ensureRunning() }
    #expect(error.message.contains("'postgres' cannot enter \(parent.path), on the way to"))
    #expect(error.message.contains("`chmod o+x \(parent.path)`"))
    #expect(error.message.contains("set CONSULT_HOME to a directory the user 'postgres' can reach"))
    #expect(error.message.contains("/var/lib/consult"))
    // Nothing was created, and the parent consult did not create keeps its mode.
    #expect(try FileManager.default.contentsOfDirectory(atPath: parent.path).isEmpty)
    let mode = try FileManager.default.attributesOfItem(atPath: parent.path)[.posixPermissions]
    #expect((mode as? NSNumber)?.intValue == 0o700)

    // The command the message names is enough.
    try FileManager.default.setAttributes([.posixPermissions: 0o701], ofItemAtPath: parent.path)
    try cluster.prepareRoot(account: try ServerAccount.lookUp("postgres"), runner: postgresRunner())
    for path in [parent.path + "/home", cluster.root.path] {
      let created = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]
      #expect((created as? NSNumber)?.intValue == 0o711, "mode of \(path), which consult created")
    }
  }

  @Test(
    "as root, an empty 0700 root (mktemp -d) is handed over: o+x added, nothing else changed",
    .enabled(if: geteuid() == 0, "only root switches to the postgres user")
  )
  func handedOverRootAsRoot() throws {
    let root = temporaryRoot()
    defer { try? FileManager.default.removeItem(at: root) }
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: root.path)
    // The lock file is consult's own, so a home left by an earlier attempt counts as empty.
    #expect(FileManager.default.createFile(atPath: root.appendingPathComponent("lock").path, contents: nil))
    let cluster = EmbeddedCluster(root: root)
    let account = try ServerAccount.lookUp("postgres")
    try cluster.prepareRoot(account: account, runner: postgresRunner())
    let attributes = try FileManager.default.attributesOfItem(atPath: root.path)
    #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o701)
    #expect((attributes[.ownerAccountID] as? NSNumber)?.uint32Value == 0)
    #expect(try cluster.runsTestSearchable(root.path, runner: postgresRunner()))
  }

  @Test(
    "as root, a root with other files in it that postgres cannot enter fails and stays as it was",
    .enabled(if: geteuid() == 0, "only root switches to the postgres user")
  )
  func foreignUnreachableRootAsRoot() throws {
    let root = temporaryRoot()
    defer { try? FileManager.default.removeItem(at: root) }
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: root.path)
    try Data("mine".utf8).write(to: root.appendingPathComponent("notes.txt"))
    let cluster = EmbeddedCluster(root: root, binDirectory: try serverBinDirectory())
    let error = try #require(throws: EmbeddedClusterError.self) { try cluster.ensureRunning() }
    #expect(error.message.contains("cannot enter \(root.path), the embedded database's directory"))
    #expect(error.message.contains("`chmod o+x \(root.path)`"))
    let mode = try FileManager.default.attributesOfItem(atPath: root.path)[.posixPermissions]
    #expect((mode as? NSNumber)?.intValue == 0o700)
    #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["notes.txt"])
  }

  @Test("settledStatus never reports a server that another caller is still creating or starting")
  func settledStatusWaitsForStart() throws {
    try withTemporaryCluster { cluster in
      let finished = DispatchSemaphore(value: 0)
      let outcome = ThreadResults<Result<[String: String], EmbeddedClusterError>>()
      Thread.detachNewThread {
        let result = Result { () throws(EmbeddedClusterError) in try cluster.ensureRunning() }
        outcome.lock.withLock { outcome.values[0] = result }
        finished.signal()
      }
      // From the moment the settled status says "running", the database answers (status()
      // alone says so as soon as the postmaster writes its PID file, before it accepts
      // connections and before `createdb`).
      var sawRunning = false
      for _ in 0..<3000 {  // up to 60 s on a slow machine
        if case .running = try cluster.settledStatus() {
          sawRunning = true
          break
        }
        usleep(20_000)
      }
      #expect(sawRunning)
      #expect(try psql(cluster, "select 1").text == "1")
      finished.wait()
      #expect(throws: Never.self) { try outcome.lock.withLock { outcome.values[0] }?.get() }
    }
  }

  @Test("a server running without its database gets it back from ensureDatabase")
  func ensureDatabaseRecreates() throws {
    try withTemporaryCluster { cluster in
      try cluster.ensureRunning()
      let drop = try psqlMaintenance(cluster, "drop database consult")
      #expect(drop.status == 0, "\(drop.text)")
      #expect(try psql(cluster, "select 1").status != 0)
      try cluster.ensureDatabase()
      try cluster.ensureDatabase()  // an existing database is fine
      #expect(try psql(cluster, "select 1").text == "1")
    }
  }

  @Test("path prefixes, shell quoting and the permission-bit check")
  func rootHelpers() {
    #expect(EmbeddedCluster.pathPrefixes(of: "/") == ["/"])
    #expect(EmbeddedCluster.pathPrefixes(of: "/a/b/c") == ["/", "/a", "/a/b", "/a/b/c"])
    #expect(EmbeddedCluster.shellQuoted("/root") == "/root")
    #expect(EmbeddedCluster.shellQuoted("/tmp/a b") == "'/tmp/a b'")
    #expect(EmbeddedCluster.shellQuoted("/tmp/it's") == "'/tmp/it'\\''s'")
    let account = ServerAccount(name: "postgres", uid: 101, gid: 104, groups: [104, 103])
    #expect(account.maySearch(owner: 101, group: 0, mode: 0o700))
    #expect(!account.maySearch(owner: 101, group: 104, mode: 0o070))  // the owner bits decide
    #expect(account.maySearch(owner: 0, group: 103, mode: 0o710))
    #expect(!account.maySearch(owner: 0, group: 103, mode: 0o701))  // the group bits decide
    #expect(account.maySearch(owner: 0, group: 0, mode: 0o701))
    #expect(!account.maySearch(owner: 0, group: 0, mode: 0o770))
    #expect(EmbeddedCluster.maximumRootPathLength == EmbeddedCluster.maximumSocketPathLength - 18)
  }

  @Test("stop and status on a root that does not exist do nothing")
  func stopWithoutCluster() throws {
    let cluster = EmbeddedCluster(root: temporaryRoot())
    #expect(try cluster.status() == .notInitialised)
    try cluster.stop()
    #expect(!FileManager.default.fileExists(atPath: cluster.root.path))
  }

  @Test("a start that fails reports the server log")
  func startFailureCarriesLog() throws {
    try withTemporaryCluster { cluster in
      try cluster.ensureRunning()
      try cluster.stop()
      let configuration = cluster.dataDirectory.appendingPathComponent("postgresql.conf")
      let handle = try FileHandle(forWritingTo: configuration)
      try handle.seekToEnd()
      try handle.write(contentsOf: Data("no_such_setting_for_consult = 1\n".utf8))
      try handle.close()

      let error = try #require(throws: EmbeddedClusterError.self) { try cluster.start() }
      #expect(error.message.contains("Could not start"))
      #expect(error.log?.contains("no_such_setting_for_consult") == true)
      #expect(error.description.contains("no_such_setting_for_consult"))
      #expect(try cluster.status() == .stopped)
    }
  }

  @Test("a socket path over the Unix limit fails with advice, before touching the disk")
  func socketPathTooLong() throws {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent(String(repeating: "x", count: 110), isDirectory: true)
    let cluster = EmbeddedCluster(root: root)
    let error = try #require(throws: EmbeddedClusterError.self) { try cluster.ensureRunning() }
    #expect(error.message.contains("CONSULT_HOME"))
    #expect(error.message.contains(".s.PGSQL.5432"))
    #expect(!FileManager.default.fileExists(atPath: root.path))
  }

  @Test("a socket path at exactly the limit is accepted")
  func socketPathAtLimit() throws {
    let suffix = "/run/.s.PGSQL.5432"
    let base = "/tmp/"
    let padding = EmbeddedCluster.maximumSocketPathLength - base.count - suffix.count
    let root = URL(
      fileURLWithPath: base + String(repeating: "y", count: padding), isDirectory: true)
    let cluster = EmbeddedCluster(root: root)
    #expect(cluster.socketFile.path.utf8.count == EmbeddedCluster.maximumSocketPathLength)
    #expect(throws: Never.self) { try cluster.checkSocketPathLength() }
    let longer = EmbeddedCluster(root: root.appendingPathComponent("z", isDirectory: true))
    #expect(throws: EmbeddedClusterError.self) { try longer.checkSocketPathLength() }
  }

  @Test("a data directory holding something else is not overwritten")
  func foreignDataDirectory() throws {
    try withTemporaryCluster { cluster in
      try FileManager.default.createDirectory(
        at: cluster.dataDirectory, withIntermediateDirectories: true)
      try Data("keep me".utf8).write(to: cluster.dataDirectory.appendingPathComponent("notes.txt"))
      #expect(try cluster.status() == .notInitialised)
      let error = try #require(throws: EmbeddedClusterError.self) { try cluster.ensureRunning() }
      #expect(error.message.contains("no PG_VERSION"))
      #expect(
        FileManager.default.fileExists(
          atPath: cluster.dataDirectory.appendingPathComponent("notes.txt").path))
    }
  }

  @Test("a stale postmaster.pid counts as stopped, and start recovers")
  func stalePidFile() throws {
    try withTemporaryCluster { cluster in
      try cluster.ensureRunning()
      try cluster.stop()
      let pidFile = cluster.dataDirectory.appendingPathComponent("postmaster.pid")
      // A PID that cannot belong to a live process (beyond pid_max).
      try Data("99999999\n\(cluster.dataDirectory.path)\n".utf8).write(to: pidFile)
      #expect(try cluster.status() == .stopped)
      try cluster.start()
      #expect(try psql(cluster, "select 1").text == "1")
    }
  }

  @Test("initdb falls back to the next locale when one is unavailable")
  func localeFallback() throws {
    try withTemporaryCluster { original in
      var cluster = original
      cluster.initdbLocales = ["xx_YY.UTF-8", "C"]
      try cluster.ensureRunning()
      #expect(
        try psql(cluster, "select datcollate from pg_database where datname = 'consult'").text
          == "C")
    }
  }

  @Test("child tools get no PG* variables")
  func toolEnvironment() {
    let environment = ToolRunner.toolEnvironment(from: [
      "PGHOST": "elsewhere", "PGPORT": "6543", "PGDATA": "/x", "PGDATABASE": "other",
      "PATH": "/usr/bin:/bin", "HOME": "/home/u", "LANG": "C.UTF-8",
    ])
    #expect(
      environment == ["PATH": "/usr/bin:/bin", "HOME": "/home/u", "LANG": "C.UTF-8", "LC_ALL": "C"]
    )
  }

  @Test("postgresql.conf string values are escaped")
  func settingQuoting() {
    #expect(EmbeddedCluster.quotedSettingValue("/a/b") == "/a/b")
    #expect(EmbeddedCluster.quotedSettingValue("/it's") == "/it''s")
    #expect(EmbeddedCluster.quotedSettingValue("a\\b") == "a\\\\b")
  }

  @Test("the error's description is the message followed by the log")
  func errorDescription() {
    #expect(EmbeddedClusterError(message: "failed").description == "failed")
    #expect(EmbeddedClusterError(message: "failed", log: "  \n").log == nil)
    #expect(
      EmbeddedClusterError(message: "failed", log: "line 1\nline 2\n").description
        == "failed\nline 1\nline 2")
  }
}
