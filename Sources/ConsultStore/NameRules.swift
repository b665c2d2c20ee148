import ConsultCore
import Postgres

/// The spelling rule of a name users type (a consultation slug, a stakeholder handle, a theme or
/// workshop key), as the schema's CHECK constraints enforce it (`Schema/0001_initial.sql`), said
/// as a rule a user can follow. The store checks names against it before writing, so a bad name
/// is refused with the rule, never with a constraint name.
public struct NameRule: Sendable {
  /// What the name names, e.g. "stakeholder handle".
  public let subject: String
  /// The characters allowed after the first one (the first is a lower-case letter or a digit).
  let punctuation: Set<Character>

  /// `[a-z0-9][a-z0-9-]*`: a consultation's slug (`consultations_slug_check`).
  public static let slug = NameRule(subject: "consultation slug", punctuation: ["-"])
  /// `[a-z0-9][a-z0-9._-]*`: a stakeholder's handle (`stakeholders_handle_check`).
  public static let handle = NameRule(subject: "stakeholder handle", punctuation: [".", "_", "-"])
  /// `[a-z0-9][a-z0-9-]*`: a theme's key (`themes_key_check`).
  public static let themeKey = NameRule(subject: "theme key", punctuation: ["-"])
  /// `[a-z0-9][a-z0-9-]*`: a workshop's key (`workshops_key_check`).
  public static let workshopKey = NameRule(subject: "workshop key", punctuation: ["-"])
  /// `[a-z0-9][a-z0-9-]*`: a workflow's name (`workflow_definitions_name_check`).
  public static let workflowName = NameRule(subject: "workflow name", punctuation: ["-"])

  /// The rule in words: "a stakeholder handle uses only lower-case letters a–z, digits 0–9, '.',
  /// '_' and '-', and starts with a letter or digit".
  public var rule: String {
    let marks = punctuation.sorted().map { "'\($0)'" }
    let listed = marks.count == 1 ? marks[0] : marks.dropLast().joined(separator: ", ") + " and " + marks.last!
    return "a \(subject) uses only lower-case letters a–z, digits 0–9 and \(listed), and starts with a letter or digit"
  }

  /// Whether `name` follows the rule.
  public func allows(_ name: String) -> Bool {
    guard let first = name.first, Self.isLowerAlphanumeric(first) else { return false }
    return name.allSatisfy { Self.isLowerAlphanumeric($0) || punctuation.contains($0) }
  }

  /// A name following the rule made from `name`: lower case, every run of other characters
  /// replaced by one `-`, leading and trailing ones dropped; nil when nothing is left.
  public func suggestion(for name: String) -> String? {
    var result = ""
    var pendingDash = false
    for character in name.lowercased() {
      if Self.isLowerAlphanumeric(character) || (punctuation.contains(character) && !result.isEmpty) {
        if pendingDash && !result.isEmpty { result.append("-") }
        pendingDash = false
        result.append(character)
      } else {
        pendingDash = true
      }
    }
    while let last = result.last, !Self.isLowerAlphanumeric(last) { result.removeLast() }
    return result.isEmpty ? nil : result
  }

  /// Refuses `name` unless it follows the rule, saying the rule and a name that would.
  ///
  /// - Throws: ``StoreError`` (`.invalidInput`): "stakeholder handle 'ICT4Peace' is not allowed: a
  ///   stakeholder handle uses only …; e.g. 'ict4peace'".
  public func check(_ name: String) throws {
    guard !allows(name) else { return }
    let example = suggestion(for: name).map { "; e.g. '\($0)'" } ?? ""
    throw StoreError(.invalidInput, "\(subject) '\(name)' is not allowed: \(rule)\(example)")
  }

  /// Refuses an empty (or blank) required text such as a title.
  ///
  /// - Parameters:
  ///   - text: The text.
  ///   - what: What it is, e.g. "the workshop's title".
  /// - Throws: ``StoreError`` (`.invalidInput`): "the workshop's title is empty; give one".
  public static func requireText(_ text: String, _ what: String) throws {
    if text.allSatisfy(\.isWhitespace) { throw StoreError(.invalidInput, "\(what) is empty; give one") }
  }

  /// The longest name of a stakeholder (a person's or an organisation's), in characters: 300,
  /// room for the longest official organisation names, short enough to print in a table row.
  public static let maxNameLength = 300

  /// Refuses an empty (or blank) name, or one longer than ``maxNameLength`` characters.
  ///
  /// - Parameters:
  ///   - name: The name.
  ///   - what: What it is, e.g. "the stakeholder's name".
  /// - Throws: ``StoreError`` (`.invalidInput`): "the stakeholder's name is empty; give one", or
  ///   "the stakeholder's name is 120,000 characters long; a name may be at most 300 characters".
  public static func requireName(_ name: String, _ what: String) throws {
    try requireText(name, what)
    let length = name.count
    guard length <= maxNameLength else {
      throw StoreError(
        .invalidInput,
        "\(what) is \(Phrasing.counted(length, "character")) long; a name may be at most "
          + Phrasing.counted(maxNameLength, "character"))
    }
  }

  static func isLowerAlphanumeric(_ character: Character) -> Bool {
    ("a"..."z").contains(character) || ("0"..."9").contains(character)
  }

  /// What a violated CHECK constraint of the schema means, as a rule the user can follow; nil
  /// for a constraint no user input can violate (the store's own invariants).
  static func meaning(ofCheck constraint: String) -> String? {
    switch constraint {
    case "consultations_slug_check": slug.rule
    case "stakeholders_handle_check": handle.rule
    case "themes_key_check": themeKey.rule
    case "workshops_key_check": workshopKey.rule
    case "workflow_definitions_name_check": workflowName.rule
    case "consultations_title_check": "a consultation's title must not be empty"
    case "workshops_title_check": "a workshop's title must not be empty"
    case "workshops_check": "a workshop cannot end before it starts"
    case "contributions_text_check": "a contribution's text must not be empty"
    case "workflow_definitions_version_check": "a workflow's version must not be empty"
    case "stakeholders_check": "only a person can belong to an organisation"
    case "contributions_check": "an oral statement belongs to a workshop"
    default: nil
    }
  }

  /// What a violated UNIQUE constraint (or unique index) means, for a message `"<what>: …"`; nil
  /// for one without a better wording than "already exists".
  static func meaning(ofUnique constraint: String) -> String? {
    switch constraint {
    case "consultations_slug_key": "a consultation with this slug already exists (see `consult list`)"
    case "stakeholders_handle_key": "a stakeholder with this handle already exists (see `consult stakeholder list`)"
    case "themes_pkey": "the consultation already has a theme with this key (see `consult theme list`)"
    case "workshops_consultation_id_key_key":
      "the consultation already has a workshop with this key (see `consult workshop list`)"
    case "stakeholders_organisation_match": "an organisation with this name already exists"
    case "invitations_once": "the stakeholder is already invited"
    case "proceedings_summaries_workshop_id_key": "the workshop already has a proceedings summary; edit it instead"
    default: nil
    }
  }
}
