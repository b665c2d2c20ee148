import ConsultStore

/// Decides what may be published next to a contribution: the stricter of
/// the contributor's consent level and the workshop's rule.
///
/// Under the Chatham House Rule ("participants are free to use the
/// information received, but neither the identity nor the affiliation of the
/// speaker(s), nor that of any other participant, may be revealed" — Chatham
/// House, chathamhouse.org/about-us/chatham-house-rule) a statement is
/// attributed at most to a stakeholder group, never to a person or an
/// organisation. Every exporter goes through this type; none reads names
/// from ``AttributableContribution`` itself.
public enum AttributionRule {
  /// The consent level that applies after the workshop's rule.
  ///
  /// - Parameters:
  ///   - consent: The contributor's consent level.
  ///   - chathamHouse: Whether the statement was made under the Chatham House Rule.
  /// - Returns: `consent`, or `.stakeholderGroup` when the rule is stricter.
  public static func effectiveLevel(consent: Contribution.Attribution, chathamHouse: Bool) -> Contribution.Attribution {
    chathamHouse ? max(consent, .stakeholderGroup) : consent
  }

  /// The text to show as the source of a statement, or nil when the
  /// statement must not be published at all.
  ///
  /// - Parameters:
  ///   - contribution: The contribution with its attribution facts.
  ///   - chathamHouse: Whether it was made under the Chatham House Rule.
  /// - Returns: e.g. "Jane Doe (ICT4Peace Foundation)", "ICT4Peace Foundation",
  ///   "a participant from International partners and institutions", "a participant".
  public static func label(for contribution: AttributableContribution, chathamHouse: Bool) -> String? {
    let group = contribution.groupName.map { "a participant from \($0)" } ?? "a participant"
    switch effectiveLevel(consent: contribution.attribution, chathamHouse: chathamHouse) {
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
}
