import Foundation
import Postgres

/// Applies the numbered SQL migrations in `Schema/` to a database.
///
/// Each file `NNNN_name.sql` runs in its own transaction and is recorded in
/// `schema_migrations` with its SHA-256 checksum (computed by PostgreSQL's
/// `sha256()`, PostgreSQL docs §9.5 "Binary String Functions"). A migration
/// whose file changed after it was applied is an error, never skipped. An
/// advisory lock serialises concurrent `migrate` runs against one server.
public struct Migrator {
  /// One migration file.
  public struct Migration: Sendable, Equatable {
    /// The number from the file name (`0001_initial.sql` → 1).
    public let number: Int
    /// The file name, e.g. `0001_initial.sql`.
    public let fileName: String
    /// The file's text (UTF-8).
    public let sql: String
  }

  /// The state of one migration in a database.
  public struct Status: Sendable, Equatable {
    /// The migration.
    public let migration: Migration
    /// When it was applied (UTC), or nil when pending.
    public let appliedAt: PostgresTimestamp?
  }

  /// The migrations, in number order.
  public let migrations: [Migration]

  /// Reads the migrations from a directory.
  ///
  /// - Parameter directory: Holds files named `NNNN_name.sql`; others are ignored.
  /// - Throws: ``StoreError`` (`.schema`) when the directory cannot be read,
  ///   two files share a number, or a file is not UTF-8.
  public init(directory: URL = BundledFiles.schemaDirectory) throws {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    } catch {
      throw StoreError(.schema, "cannot read the migrations in \(directory.path): \(error.localizedDescription)")
    }
    var found: [Int: Migration] = [:]
    for name in names where name.hasSuffix(".sql") {
      guard let number = Int(name.prefix { $0.isNumber }), name.first?.isNumber == true else { continue }
      let url = directory.appendingPathComponent(name)
      guard let data = FileManager.default.contents(atPath: url.path),
        let sql = String(data: data, encoding: .utf8)
      else {
        throw StoreError(.schema, "\(url.path): cannot read the migration as UTF-8")
      }
      if let other = found[number] {
        throw StoreError(.schema, "migrations \(other.fileName) and \(name) share the number \(number)")
      }
      found[number] = Migration(number: number, fileName: name, sql: sql)
    }
    migrations = found.values.sorted { $0.number < $1.number }
  }

  /// Lists every migration with when it was applied, checking checksums.
  ///
  /// - Parameter connection: The database to inspect.
  /// - Returns: One status per migration file, in order.
  /// - Throws: ``StoreError`` (`.schema`) when an applied migration's file
  ///   changed, or the database records a migration this program lacks.
  public func status(on connection: PostgresConnection) throws -> [Status] {
    try translatingErrors("reading the migration status") {
      // Read only: a database without the table has applied nothing. (Creating the table here
      // raced with a concurrent `migrate` creating it: two `CREATE TABLE IF NOT EXISTS` at
      // once can fail with a unique violation on the catalog.)
      let applied = try tableExists(on: connection) ? try appliedMigrations(on: connection) : [:]
      return try migrations.map { migration in
        guard let record = applied[migration.number] else {
          return Status(migration: migration, appliedAt: nil)
        }
        try verify(migration, against: record, on: connection)
        return Status(migration: migration, appliedAt: record.appliedAt)
      }
    }
  }

  /// The key of the session-level advisory lock that ``migrate(on:)`` holds while it runs
  /// (PostgreSQL docs §9.27.10 "Advisory Lock Functions"). Advisory locks are per database,
  /// so migrators of different databases on one server do not wait for each other.
  static let advisoryLockKey: Int64 = 727_400_001

  /// Applies every pending migration, each in its own transaction.
  ///
  /// Safe to run concurrently against one database, from any number of processes and
  /// machines: everything, from creating `schema_migrations` to the last migration, happens
  /// under a session-level advisory lock, so a second migrator waits for the first and then
  /// finds its migrations applied (each migration is applied exactly once).
  ///
  /// - Parameter connection: The database to migrate.
  /// - Returns: The migrations applied now (empty when already current, also when a
  ///   concurrent migrator applied them meanwhile).
  /// - Throws: ``StoreError``: `.schema` when an applied file changed; the
  ///   translated database error when a migration fails (that migration is
  ///   rolled back; earlier ones stay applied).
  @discardableResult
  public func migrate(on connection: PostgresConnection) throws -> [Migration] {
    try translatingErrors("migrating the database") {
      // Session-level advisory lock: one migrator at a time, taken before anything is read or
      // created (the table too: two concurrent `CREATE TABLE IF NOT EXISTS` can collide).
      try connection.query("SELECT pg_advisory_lock($1)", [Self.advisoryLockKey])
      defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [Self.advisoryLockKey]) }
      try ensureTable(on: connection)
      let applied = try appliedMigrations(on: connection)
      var done: [Migration] = []
      for migration in migrations {
        if let record = applied[migration.number] {
          try verify(migration, against: record, on: connection)
          continue
        }
        try connection.withTransaction {
          // From 0013 on the schema belongs to consult_owner: later migrations run as it, so what
          // they create is its, with the grants of its default privileges (0013_roles.sql).
          if migration.number > 13,
            try connection.query(
              "SELECT 1 FROM pg_roles WHERE rolname = 'consult_owner' AND pg_has_role(current_user, oid, 'USAGE')"
            ).rows.first != nil
          {
            try connection.execute("SET LOCAL ROLE consult_owner")
          }
          if migration.number == 13 { try prepareOwnerRole(on: connection) }
          try connection.executeScript(migration.sql)
          try connection.execute(
            """
            INSERT INTO schema_migrations (number, file_name, checksum)
            VALUES ($1, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'))
            """, [migration.number, migration.fileName, migration.sql])
        }
        done.append(migration)
      }
      return done
    }
  }

  /// Before migration 0013 (roles) when the migrating role is no superuser — an administrator
  /// with CREATEROLE who owns the database, as managed PostgreSQL services give — does what a
  /// superuser needs not: creates `consult_owner` if missing, makes the migrating role a member
  /// of it (PostgreSQL §22.3: only a member may give it objects) and lets it create in schema
  /// `public` (which 0013 hands over to it). Nothing for a superuser.
  ///
  /// - Throws: ``PostgresError`` when the role may not do so (no CREATEROLE, not the database's
  ///   owner).
  func prepareOwnerRole(on connection: PostgresConnection) throws {
    let superuser = try connection.query("SELECT rolsuper AS s FROM pg_roles WHERE rolname = current_user").rows
    guard let row = superuser.first, try !row.decode("s", as: Bool.self) else { return }
    try connection.executeScript(
      """
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'consult_owner') THEN
          CREATE ROLE consult_owner NOLOGIN;
        END IF;
        IF NOT pg_has_role(current_user, 'consult_owner', 'MEMBER') THEN
          EXECUTE format('GRANT consult_owner TO %I', current_user);
        END IF;
      END $$;
      GRANT USAGE, CREATE ON SCHEMA public TO consult_owner;
      """)
  }

  /// Throws unless every migration is applied (used before any use case on a configured server).
  ///
  /// - Throws: ``StoreError`` (`.schema`) naming the pending migrations.
  public func requireCurrent(on connection: PostgresConnection) throws {
    let pending = try status(on: connection).filter { $0.appliedAt == nil }
    if !pending.isEmpty {
      let names = pending.map(\.migration.fileName).joined(separator: ", ")
      throw StoreError(.schema, "the database needs migrations (\(names)); run `consult db migrate`")
    }
  }

  private struct AppliedRecord {
    let fileName: String
    let checksum: String
    let appliedAt: PostgresTimestamp
  }

  private func ensureTable(on connection: PostgresConnection) throws {
    try connection.execute(
      """
      CREATE TABLE IF NOT EXISTS schema_migrations (
        number     integer PRIMARY KEY,
        file_name  text NOT NULL,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )
      """)
  }

  /// Whether `schema_migrations` exists (in the search path), without creating it.
  private func tableExists(on connection: PostgresConnection) throws -> Bool {
    let rows = try connection.query(
      "SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
    return try rows.rows[0].decode("present")
  }

  private func appliedMigrations(on connection: PostgresConnection) throws -> [Int: AppliedRecord] {
    var result: [Int: AppliedRecord] = [:]
    let rows = try connection.query(
      "SELECT number, file_name, checksum, applied_at FROM schema_migrations ORDER BY number")
    for row in rows {
      let number: Int = try row.decode("number")
      result[number] = AppliedRecord(
        fileName: try row.decode("file_name"), checksum: try row.decode("checksum"),
        appliedAt: try row.decode("applied_at"))
    }
    let known = Set(migrations.map(\.number))
    if let unknown = result.keys.sorted().first(where: { !known.contains($0) }) {
      throw StoreError(
        .schema,
        "the database has migration \(result[unknown]!.fileName) that this program does not know; use a newer consult")
    }
    return result
  }

  private func verify(_ migration: Migration, against record: AppliedRecord, on connection: PostgresConnection) throws {
    let row = try connection.query(
      "SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex') AS checksum", [migration.sql])
    let checksum: String = try row.rows[0].decode("checksum")
    if checksum != record.checksum {
      throw StoreError(
        .schema,
        "migration \(migration.fileName) changed after it was applied (checksum \(checksum.prefix(12))…, applied \(record.checksum.prefix(12))…); restore the file and add a new migration instead"
      )
    }
  }
}
