import ConsultStore
import Foundation
import Postgres
import Testing

@Suite("Migrations")
struct MigratorTests {
  @Test("migrating again applies nothing; a changed applied file is an error, never skipped")
  func checksums() throws {
    let db = try TestDatabase()
    #expect(try Migrator().migrate(on: db.store.connection).isEmpty)
    #expect(try Migrator().status(on: db.store.connection).allSatisfy { $0.appliedAt != nil })

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consult-schema-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    for migration in try Migrator().migrations {
      try (migration.sql + "\n-- edited later\n").write(
        to: directory.appendingPathComponent(migration.fileName), atomically: true, encoding: .utf8)
    }
    let error = try #require(throws: StoreError.self) {
      try Migrator(directory: directory).migrate(on: db.store.connection)
    }
    #expect(error.kind == .schema)
    #expect(error.description.contains("changed after it was applied"))
  }

  @Test("migrators running at once on an empty database all succeed and apply each migration once")
  func concurrentMigrations() throws {
    let db = try TestDatabase(migrated: false)
    let migrations = try Migrator().migrations
    let name = db.name
    let migrators = 4
    // Everyone connects first, then all start together (the race was in the first statements).
    let connections = try (0..<migrators).map { _ in try TestDatabase.connect(name) }
    let reader = try TestDatabase.connect(name)
    let results = ResultsBox()
    let start = DispatchSemaphore(value: 0)
    let group = DispatchGroup()
    for (index, connection) in connections.enumerated() {
      nonisolated(unsafe) let connection = connection
      group.enter()
      Thread.detachNewThread {
        defer { group.leave() }
        start.wait()
        do {
          let applied = try Migrator().migrate(on: connection)
          results.append(index, .success(applied.map(\.number)))
        } catch {
          results.append(index, .failure("\(error)"))
        }
      }
    }
    // A reader asking for the status meanwhile (as `consult db status` and every command on a
    // configured server do) neither fails nor creates anything.
    nonisolated(unsafe) let readerConnection = reader
    group.enter()
    Thread.detachNewThread {
      defer { group.leave() }
      start.wait()
      do {
        for _ in 0..<20 { _ = try Migrator().status(on: readerConnection) }
        results.append(migrators, .success([]))
      } catch {
        results.append(migrators, .failure("status: \(error)"))
      }
    }
    for _ in 0...migrators { start.signal() }
    group.wait()

    let outcomes = results.all()
    #expect(outcomes.count == migrators + 1)
    var appliedNumbers: [Int] = []
    for outcome in outcomes {
      switch outcome {
      case .success(let numbers): appliedNumbers += numbers
      case .failure(let message): Issue.record("a concurrent migrator failed: \(message)")
      }
    }
    // Each migration applied by exactly one of them, and recorded once.
    #expect(appliedNumbers.sorted() == migrations.map(\.number))
    #expect(try db.count("schema_migrations") == migrations.count)
    #expect(try Migrator().status(on: db.store.connection).allSatisfy { $0.appliedAt != nil })
  }

  @Test("the status of a database never migrated lists every migration as pending and creates nothing")
  func statusOfEmptyDatabase() throws {
    let db = try TestDatabase(migrated: false)
    let statuses = try Migrator().status(on: db.store.connection)
    #expect(statuses.count == (try Migrator().migrations.count))
    #expect(statuses.allSatisfy { $0.appliedAt == nil })
    let table = try db.store.connection.query(
      "SELECT to_regclass('schema_migrations') IS NULL AS absent")
    #expect(try table.rows[0].decode("absent", as: Bool.self))
    let error = try #require(throws: StoreError.self) {
      try Migrator().requireCurrent(on: db.store.connection)
    }
    #expect(error.kind == .schema)
  }
}

/// What each thread of a concurrency test reported, by thread index.
final class ResultsBox: @unchecked Sendable {
  enum Outcome {
    case success([Int])
    case failure(String)
  }
  private let lock = NSLock()
  private var outcomes: [Int: Outcome] = [:]
  func append(_ index: Int, _ outcome: Outcome) { lock.withLock { outcomes[index] = outcome } }
  func all() -> [Outcome] { lock.withLock { outcomes.keys.sorted().map { outcomes[$0]! } } }
}
