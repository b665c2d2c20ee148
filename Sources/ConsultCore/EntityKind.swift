/// The kinds of entity a consultation workflow tracks; each has its own state machine.
///
/// The raw value is the key of the entity's machine under `machines:` in a workflow file
/// (for example `proceedings-summary`), and the spelling the store and the CLI use.
public enum EntityKind: String, CaseIterable, Sendable, Hashable, Codable {
  /// The consultation process itself (preparation, participatory phase, drafting, …).
  case consultation
  /// An invitation to a stakeholder, to the consultation or to one of its workshops.
  case invitation
  /// An expert workshop held as part of a consultation.
  case workshop
  /// A contribution (statement, written input) made to a consultation, possibly at a workshop.
  case contribution
  /// The published summary of a workshop's proceedings.
  case proceedingsSummary = "proceedings-summary"
  /// The paper a consultation drafts (one per consultation): numbered revisions and sign-off.
  case draft
  /// A comment on a revision of the draft, anchored to a section and a passage.
  case comment
}

extension EntityKind: CustomStringConvertible {
  /// The raw value, as written in workflow files (`proceedings-summary`).
  public var description: String { rawValue }
}
