import ConsultStore
import Foundation
import Postgres
import Testing

/// Least privilege (migration 0013): everyday work runs as consult_editor, which records and
/// transitions but cannot rewrite the log or switch its guards off; consult_reader only reads.
@Suite("Database roles")
struct RoleTests {
  /// A store on its own connection to `db`, acting as `role`.
  static func store(_ db: TestDatabase, as role: String) throws -> ConsultStore {
    let connection = try db.connect()
    try connection.execute("SET ROLE " + connection.quoteIdentifier(role))
    return ConsultStore(connection: connection)
  }

  /// The SQLSTATE `sql` fails with, or nil when it succeeds.
  static func refusal(_ store: ConsultStore, _ sql: String) -> String? {
    do {
      try store.connection.executeScript(sql)
      return nil
    } catch {
      return error.sqlState
    }
  }

  @Test("consult_editor runs the whole scenario, and every way around the append-only log is refused (42501)")
  func editor() throws {
    let db = try TestDatabase()
    let editor = try Self.store(db, as: "consult_editor")
    try Scenario.build(editor)
    try editor.draftSummary(for: "cyber-security", in: Scenario.slug, title: "S", body: "Norms [#1].", actor: "editor")
    try editor.editSummary(for: "cyber-security", in: Scenario.slug, title: nil, body: "Norms.", actor: "editor")
    #expect(try editor.verifyLog(of: Scenario.slug).isIntact)
    for sql in [
      "UPDATE events SET reason = 'x'", "DELETE FROM events", "TRUNCATE events",
      "ALTER TABLE events DISABLE TRIGGER events_append_only", "DROP TRIGGER events_chain ON events",
      "SET session_replication_role = replica", "DROP TABLE events CASCADE",
      "UPDATE proceedings_summary_revisions SET body = 'x'", "DELETE FROM contribution_tags",
      "UPDATE schema_migrations SET checksum = 'x'",
      "CREATE OR REPLACE FUNCTION consult_field(value text) RETURNS text LANGUAGE sql AS $$ SELECT '' $$",
    ] {
      #expect(Self.refusal(editor, sql) == SQLState.insufficientPrivilege, "\(sql)")
    }
  }

  @Test("consult_reader reads and writes nothing (42501)")
  func reader() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let reader = try Self.store(db, as: "consult_reader")
    #expect(try reader.contributions(in: Scenario.slug).count == 3)
    #expect(try reader.verifyLog(of: Scenario.slug).isIntact)
    for sql in [
      "INSERT INTO themes (consultation_id, key, title, position) SELECT id, 'k', 'T', 9 FROM consultations",
      "UPDATE contributions SET text = 'x'", "DELETE FROM stakeholders", "INSERT INTO actors (handle) VALUES ('z')",
    ] {
      #expect(Self.refusal(reader, sql) == SQLState.insufficientPrivilege, "\(sql)")
    }
  }

  @Test("the schema belongs to consult_owner, never to the superuser that migrated it")
  func owner() throws {
    let db = try TestDatabase()
    let owners = try db.store.connection.query(
      """
      SELECT DISTINCT pg_get_userbyid(relowner) AS o FROM pg_class
      WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
      """
    ).map { try $0.decode("o", as: String.self) }
    #expect(owners == ["consult_owner"])
  }
}
