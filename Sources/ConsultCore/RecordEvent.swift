/// Events that record a change to an entity's data without moving it between states.
///
/// They are logged like transitions (same table, same transaction as the change) with
/// `from_state` equal to `to_state`, and are not declared in workflow files: no workflow may
/// forbid recording what happened. ``WorkflowMigrationPlan/eventName`` is the other event that is
/// no transition of a machine.
public enum RecordEvent {
  /// A contribution's text was replaced (a re-import with `--update-changed`; the previous text
  /// kept in `contribution_revisions`; `data`: `revision`, the one kept, and `revision_hash`, its
  /// content hash), or a proceedings summary's (`consult summary edit`; the previous revision kept
  /// in `proceedings_summary_revisions`; `data`: `revision`, the new one, whose content the
  /// event's content hash pins).
  public static let textRevised = "revise-text"
  /// A theme was added to a consultation (`data`: `key`, `title`).
  public static let themeAdded = "add-theme"
  /// A consultation's deadline was set or moved (`data`: `from`, `to`, ISO 8601 UTC or null).
  public static let deadlineSet = "set-deadline"
  /// A consultation's deadline was removed (`data`: `from`).
  public static let deadlineCleared = "clear-deadline"
  /// A workshop was moved (`data`: old and new `starts_at`, `ends_at`, `time_zone`).
  public static let rescheduled = "reschedule"
  /// A Chatham House workshop's attendance list may be published (`data`: `publish`).
  public static let attendanceListAllowed = "allow-attendance-list"
  /// A workshop's attendance list is withheld again (`data`: `publish`).
  public static let attendanceListWithheld = "withhold-attendance-list"
  /// A contribution was given a theme (`data`: `from_theme`, `to_theme`, `search_query`).
  public static let tagged = "tag"
  /// A person's identifying strings were replaced by their pseudonym (`consult stakeholder forget`,
  /// migration 0020): on a contribution or summary, its content hash pinning the new text; on a
  /// consultation, pinning the events whose reason or data were rewritten (`data`: `pseudonym`).
  public static let personalDataErased = "erase-personal-data"
  /// A span of a contribution's text was replaced by `[redacted: REASON]` (`data`: `reason`,
  /// `from`, `to`; the span itself is kept for administrators only).
  public static let redacted = "redact"
  /// A statement under the Chatham House Rule names a participant, an invitee's organisation or a
  /// host (`data`: `stakeholders`, their ids).
  public static let disclosureFlagged = "flag-disclosure"
  /// A reviewer (the event's actor) cleared a flagged statement's current text for publication.
  public static let disclosureCleared = "clear-disclosure"
  /// A workshop's disclosure threshold was set (`data`: `from`, `to`).
  public static let disclosureThresholdSet = "set-disclosure-threshold"

  /// A new revision of the draft (`consult draft revise`; `data`: `revision`, the new number, and
  /// `voided_approvals`, the stakeholder ids whose approvals of the previous revision no longer
  /// count; `content_hash` pins the revision, SQL `consult_draft_revision_content`).
  public static let draftRevised = "revise-draft"
  /// An approver signed off a revision of the draft (`data`: `revision`, `stakeholder_id`,
  /// `revision_hash`, the content hash of the revision approved).
  public static let revisionApproved = "approve-revision"

  /// Every record event name.
  public static let names: Set<String> = [
    textRevised, themeAdded, deadlineSet, deadlineCleared, rescheduled, attendanceListAllowed,
    attendanceListWithheld, tagged, draftRevised, revisionApproved, personalDataErased, redacted, disclosureFlagged,
    disclosureCleared, disclosureThresholdSet,
  ]

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
