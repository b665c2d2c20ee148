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
}
