/// The database roles consult's migrations create (`Schema/0013_roles.sql`): who may do what to the
/// record, enforced by PostgreSQL's privileges, not by the program.
public enum DatabaseRole: String, Sendable, CaseIterable {
  /// Owns the schema and runs the migrations.
  case owner = "consult_owner"
  /// Erasure, reading redacted originals and workflow migration; a member of ``editor``.
  case admin = "consult_admin"
  /// Everyday commands: records and transitions; may append to the event log but not change it.
  case editor = "consult_editor"
  /// Reads only.
  case reader = "consult_reader"
}
