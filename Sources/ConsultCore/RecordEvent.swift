/// Events that record a change to an entity's data without moving it between states.
///
/// They are logged like transitions (same table, same transaction as the change) with
/// `from_state` equal to `to_state`, and are not declared in workflow files: no workflow may
/// forbid recording what happened. ``WorkflowMigrationPlan/eventName`` is the other event that is
/// no transition of a machine.
public enum RecordEvent {
  /// A contribution's text was replaced (a re-import with `--update-changed`); the previous text
  /// is kept as a numbered revision (table `contribution_revisions`).
  public static let textRevised = "revise-text"

  /// Every record event name.
  public static let names: Set<String> = [textRevised]

  /// Whether `event` is a record event: its name is one of ``names`` and it leaves the state as it
  /// was.
  ///
  /// - Parameters:
  ///   - event: The event's name.
  ///   - from: The state before (`nil` for a creation event).
  ///   - to: The state after.
  /// - Returns: `true` for a record event.
  public static func isRecordEvent(_ event: String, from: String?, to: String) -> Bool {
    names.contains(event) && from == to
  }
}
