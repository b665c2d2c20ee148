import Foundation
import Testing

@testable import EmbeddedPostgres

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A fresh, not yet existing root directory in the temporary directory (short, so the
/// socket path stays far below the Unix limit).
func temporaryRoot() -> URL {
  FileManager.default.temporaryDirectory
    .appendingPathComponent(
      "consult-ep-\(UUID().uuidString.prefix(8).lowercased())", isDirectory: true)
}

/// Runs `body` with a cluster under a fresh temporary root, then stops the server and
/// deletes the root whatever happened (a server `pg_ctl` cannot stop is killed).
func withTemporaryCluster(_ body: (EmbeddedCluster) throws -> Void) throws {
  let cluster = EmbeddedCluster(root: temporaryRoot(), binDirectory: try serverBinDirectory())
  defer { destroy(cluster) }
  try body(cluster)
}

/// Stops `cluster` (falling back to SIGQUIT, PostgreSQL's immediate shutdown) and removes
/// its root.
func destroy(_ cluster: EmbeddedCluster) {
  try? cluster.stop()
  if case .running(let pid) = try? cluster.status() {
    kill(pid, SIGQUIT)
    for _ in 0..<100 where kill(pid, 0) == 0 { usleep(100_000) }
  }
  try? FileManager.default.removeItem(at: cluster.root)
}

/// The real PostgreSQL bin directory these tests run against.
func serverBinDirectory() throws -> URL {
  try EmbeddedCluster.findBinDirectory()
}

/// What a program printed and how it exited.
struct Output {
  var status: Int32
  var text: String
}

/// Runs `psql -X -h <socket> -p 5432 -U consult -d consult -Atc <sql>` from the bin
/// directory, as this process's user, with no PG* variables in its environment; `database`
/// replaces `consult` after `-d`.
func psql(_ cluster: EmbeddedCluster, _ sql: String, database: String? = nil) throws -> Output {
  let parameters = cluster.connectionParameters
  let process = Process()
  process.executableURL = try serverBinDirectory().appendingPathComponent("psql")
  process.arguments = [
    "-X", "-h", parameters["host"]!, "-p", parameters["port"]!, "-U", parameters["user"]!,
    "-d", database ?? parameters["dbname"]!, "-Atc", sql,
  ]
  process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = pipe
  process.standardInput = FileHandle.nullDevice
  try process.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return Output(
    status: process.terminationStatus,
    text: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  )
}

/// `psql` as ``psql(_:_:database:)`` does, but connected to the `postgres` maintenance
/// database (to drop or create `consult`).
func psqlMaintenance(_ cluster: EmbeddedCluster, _ sql: String) throws -> Output {
  try psql(cluster, sql, database: "postgres")
}

/// Runs tools as the `postgres` user (the tests that use it run as root).
func postgresRunner() throws -> ToolRunner {
  ToolRunner(account: try ServerAccount.lookUp("postgres"))
}

/// Runs `body(0) ... body(count - 1)` at the same time, each on its own thread, and
/// returns their results in order.
func onSeparateThreads<T: Sendable>(
  _ count: Int,
  _ body: @escaping @Sendable (Int) -> T
) -> [T] {
  let results = ThreadResults<T>()
  let group = DispatchGroup()
  for index in 0..<count {
    group.enter()
    let thread = Thread {
      let value = body(index)
      results.lock.withLock { results.values[index] = value }
      group.leave()
    }
    thread.start()
  }
  group.wait()
  return (0..<count).map { results.values[$0]! }
}

/// Results collected from several threads, guarded by a lock.
final class ThreadResults<T: Sendable>: @unchecked Sendable {
  let lock = NSLock()
  var values: [Int: T] = [:]
}

/// Writes an executable shell script at `url` (creating its directory).
func writeExecutable(_ url: URL, _ script: String = "#!/bin/sh\nexit 0\n") throws {
  try FileManager.default.createDirectory(
    at: url.deletingLastPathComponent(),
    withIntermediateDirectories: true
  )
  try Data(script.utf8).write(to: url)
  try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
}

/// A fresh scratch directory, removed by the caller.
func scratchDirectory() throws -> URL {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("consult-ep-scratch-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}
