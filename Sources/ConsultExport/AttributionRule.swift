import ConsultStore

/// Decides what may be published next to a contribution: the stricter of
/// the contributor's consent level and the workshop's rule.
///
/// Under the Chatham House Rule ("participants are free to use the
/// information received, but neither the identity nor the affiliation of the
/// speaker(s), nor that of any other participant, may be revealed" — Chatham
/// House, chathamhouse.org/about-us/chatham-house-rule) a statement is not
/// attributed at all: not to a person, an organisation, nor a stakeholder
/// group (a group with one attendee would reveal the speaker). Every exporter
/// goes through this type; none reads names from ``AttributableContribution``
/// itself.
public enum AttributionRule {
  /// The consent level that applies after the workshop's rule.
  ///
  /// - Parameters:
  ///   - consent: The contributor's consent level.
  ///   - chathamHouse: Whether the statement was made under the Chatham House Rule.
  /// - Returns: `consent`, or `.stakeholderGroup` when the rule is stricter
  ///   (under the rule, ``label(for:chathamHouse:)`` then drops the group too).
  public static func effectiveLevel(consent: Contribution.Attribution, chathamHouse: Bool) -> Contribution.Attribution {
    chathamHouse ? max(consent, .stakeholderGroup) : consent
  }

  /// How an export publishes a contribution, the value of its `published_as` field: `named`,
  /// `organisation` or `stakeholder-group` (the consent level that applies: name, organisation,
  /// or stakeholder group only), or `unattributed` under the Chatham House Rule (no person,
  /// organisation or group at all); nil when it is not published (`not-for-publication`).
  ///
  /// - Parameters:
  ///   - consent: The contributor's consent level, as stored.
  ///   - chathamHouse: Whether it was made under the Chatham House Rule.
  /// - Returns: The level applied, or nil when the contribution is withheld.
  public static func publishedAs(consent: Contribution.Attribution, chathamHouse: Bool) -> String? {
    let level = effectiveLevel(consent: consent, chathamHouse: chathamHouse)
    guard level != .notForPublication else { return nil }
    return chathamHouse ? "unattributed" : level.rawValue
  }

  /// The text to show as the source of a statement, or nil when the
  /// statement must not be published at all.
  ///
  /// - Parameters:
  ///   - contribution: The contribution with its attribution facts.
  ///   - chathamHouse: Whether it was made under the Chatham House Rule.
  /// - Returns: e.g. "Jane Doe (ICT4Peace Foundation)", "ICT4Peace Foundation",
  ///   "a participant from International partners and institutions", or
  ///   "a participant" (always, under the Chatham House Rule).
  public static func label(for contribution: AttributableContribution, chathamHouse: Bool) -> String? {
    let level = effectiveLevel(consent: contribution.attribution, chathamHouse: chathamHouse)
    if chathamHouse { return level == .notForPublication ? nil : "a participant" }
    let group = contribution.groupName.map { "a participant from \($0)" } ?? "a participant"
    switch level {
    case .notForPublication:
      return nil
    case .stakeholderGroup:
      return group
    case .organisation:
      return contribution.organisationName ?? group
    case .named:
      guard let name = contribution.contributorName else { return contribution.organisationName ?? group }
      if contribution.contributorIsPerson, let organisation = contribution.organisationName {
        return "\(name) (\(organisation))"
      }
      return name
    }
  }

  /// The name that may be published next to a statement: the label of
  /// ``label(for:chathamHouse:)`` when the effective level is `named` or
  /// `organisation`, nil otherwise (stakeholder group only, or not for publication).
  ///
  /// - Parameters:
  ///   - contribution: The contribution with its attribution facts.
  ///   - chathamHouse: Whether it was made under the Chatham House Rule.
  /// - Returns: e.g. "Jane Doe (ICT4Peace Foundation)" or "ICT4Peace Foundation"; nil when no name may be shown.
  public static func publishedName(for contribution: AttributableContribution, chathamHouse: Bool) -> String? {
    switch effectiveLevel(consent: contribution.attribution, chathamHouse: chathamHouse) {
    case .named, .organisation:
      guard contribution.contributorName != nil || contribution.organisationName != nil else { return nil }
      return label(for: contribution, chathamHouse: chathamHouse)
    case .stakeholderGroup, .notForPublication:
      return nil
    }
  }

  /// The stakeholder group that may be published next to a statement: nil
  /// under the Chatham House Rule (a group with one attendee would reveal the
  /// speaker) and for statements not for publication, else `group`.
  ///
  /// - Parameters:
  ///   - group: The contributor's group (key or name), if any.
  ///   - contribution: The contribution with its attribution facts.
  ///   - chathamHouse: Whether it was made under the Chatham House Rule.
  /// - Returns: `group`, or nil when it must not be shown.
  public static func publishedGroup(
    _ group: String?, for contribution: AttributableContribution, chathamHouse: Bool
  ) -> String? {
    guard !chathamHouse else { return nil }
    return effectiveLevel(consent: contribution.attribution, chathamHouse: false) == .notForPublication ? nil : group
  }
}
