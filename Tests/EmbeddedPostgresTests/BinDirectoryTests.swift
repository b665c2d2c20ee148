import Foundation
import Testing

@testable import EmbeddedPostgres

@Suite("Finding PostgreSQL's server programs")
struct BinDirectoryTests {
  /// Makes `directory` look like a PostgreSQL bin directory (fake programs), leaving out
  /// `missing`.
  func makeBinDirectory(_ directory: URL, missing: Set<String> = []) throws {
    for program in ["initdb", "pg_ctl", "postgres", "createdb"] where !missing.contains(program) {
      try writeExecutable(directory.appendingPathComponent(program))
    }
  }

  @Test("the real one is found on this machine and holds the programs")
  func realDirectory() throws {
    let directory = try EmbeddedCluster.findBinDirectory()
    for program in ["initdb", "pg_ctl", "postgres", "createdb", "psql"] {
      #expect(
        FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent(program).path)
      )
    }
  }

  @Test("CONSULT_PG_BINDIR wins, and must hold the programs")
  func explicitDirectory() throws {
    let scratch = try scratchDirectory()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let bin = scratch.appendingPathComponent("bin", isDirectory: true)
    try makeBinDirectory(bin)
    let found = try EmbeddedCluster.findBinDirectory(environment: ["CONSULT_PG_BINDIR": bin.path])
    #expect(found.path == bin.path)

    let incomplete = scratch.appendingPathComponent("incomplete", isDirectory: true)
    try makeBinDirectory(incomplete, missing: ["postgres"])
    let error = try #require(throws: EmbeddedClusterError.self) {
      try EmbeddedCluster.findBinDirectory(environment: ["CONSULT_PG_BINDIR": incomplete.path])
    }
    #expect(error.message.contains("CONSULT_PG_BINDIR"))
    #expect(error.message.contains("postgres"))
  }

  @Test("pg_config --bindir is used when it names a directory with the programs")
  func pgConfig() throws {
    let scratch = try scratchDirectory()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let bin = scratch.appendingPathComponent("server/bin", isDirectory: true)
    try makeBinDirectory(bin)
    let tools = scratch.appendingPathComponent("tools", isDirectory: true)
    try writeExecutable(
      tools.appendingPathComponent("pg_config"), "#!/bin/sh\necho '\(bin.path)'\n")
    let found = try EmbeddedCluster.findBinDirectory(
      environment: ["PATH": tools.path],
      distributionDirectory: scratch.appendingPathComponent("none")
    )
    #expect(found.path == bin.path)
  }

  @Test("the newest complete /usr/lib/postgresql/<version>/bin wins, numerically")
  func distributionDirectory() throws {
    let scratch = try scratchDirectory()
    defer { try? FileManager.default.removeItem(at: scratch) }
    try makeBinDirectory(scratch.appendingPathComponent("9.6/bin"))
    try makeBinDirectory(scratch.appendingPathComponent("10/bin"))
    // 15 has the client programs only.
    try makeBinDirectory(scratch.appendingPathComponent("15/bin"), missing: ["initdb"])
    try makeBinDirectory(scratch.appendingPathComponent("latest/bin"))
    let found = try EmbeddedCluster.findBinDirectory(
      environment: ["PATH": ""], distributionDirectory: scratch)
    #expect(found.path == scratch.appendingPathComponent("10/bin").path)

    let order = EmbeddedCluster.versionedBinDirectories(under: scratch).map {
      $0.deletingLastPathComponent().lastPathComponent
    }
    #expect(order == ["15", "10", "9.6"])
  }

  @Test("PATH is the last resort, with symbolic links followed to the real directory")
  func pathFallback() throws {
    let scratch = try scratchDirectory()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let real = scratch.appendingPathComponent("real/bin", isDirectory: true)
    try makeBinDirectory(real)
    let onPath = scratch.appendingPathComponent("path", isDirectory: true)
    try FileManager.default.createDirectory(at: onPath, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(
      at: onPath.appendingPathComponent("initdb"),
      withDestinationURL: real.appendingPathComponent("initdb")
    )
    let found = try EmbeddedCluster.findBinDirectory(
      environment: ["PATH": "/nonexistent:\(onPath.path)"],
      distributionDirectory: scratch.appendingPathComponent("none")
    )
    #expect(found.resolvingSymlinksInPath().path == real.resolvingSymlinksInPath().path)
  }

  @Test("nothing found: the error says how to install PostgreSQL")
  func notFound() throws {
    let scratch = try scratchDirectory()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let error = try #require(throws: EmbeddedClusterError.self) {
      try EmbeddedCluster.findBinDirectory(
        environment: ["PATH": scratch.path], distributionDirectory: scratch)
    }
    #expect(error.message.contains("apt-get install postgresql"))
    #expect(error.message.contains("CONSULT_PG_BINDIR"))
  }
}
