import ConsultCore
import Foundation
import Postgres

/// A contribution: an oral statement at a workshop or a written submission.
public struct Contribution: Sendable, Equatable, Encodable {
  /// Oral statement or written submission.
  public enum Kind: String, Sendable, Encodable, CaseIterable {
    /// Said at a workshop.
    case oralStatement = "oral-statement"
    /// Sent in writing.
    case writtenSubmission = "written-submission"
  }
  /// The contributor's consent to be named when published. Exporters apply
  /// the stricter of this and the workshop's rule (Chatham House Rule).
  public enum Attribution: String, Sendable, Encodable, CaseIterable, Comparable {
    /// Name and organisation may be published.
    case named
    /// Only the organisation may be published.
    case organisation
    /// Only the stakeholder group may be published.
    case stakeholderGroup = "stakeholder-group"
    /// The text must not be published at all (it may be counted).
    case notForPublication = "not-for-publication"

    /// Stricter levels compare greater: named < organisation < stakeholder-group < not-for-publication.
    public static func < (lhs: Self, rhs: Self) -> Bool {
      allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
  }
  /// Database id.
  public let id: Int64
  /// Oral or written.
  public let kind: Kind
  /// The workshop key for oral statements.
  public let workshop: String?
  /// Theme key, if tagged.
  public let theme: String?
  /// Language tag (BCP 47), if known.
  public let language: String?
  /// The contributing stakeholder's handle, or `#id` for imported ones without a handle.
  public let stakeholder: String?
  /// The consent level the contributor gave, as stored (`consent` in JSON). What an export
  /// publishes is the stricter of this and the workshop's rule: under the Chatham House Rule a
  /// `named` statement is still published unattributed (see `published_as` in
  /// `consult export contributions`).
  public let consent: Attribution
  /// Where it came from: `manual`, `regulations-gov`…
  public let source: String
  /// The source's own id.
  public let sourceID: String?
  /// When it was received (UTC).
  public let receivedAt: Date
  /// State in the workflow's contribution machine.
  public let state: String
  /// The text.
  public let text: String
}

/// What to record as a contribution (see ``ConsultStore/recordContribution(_:in:actor:)``).
public struct NewContribution: Sendable {
  /// The text (must not be empty; NUL bytes are refused).
  public var text: String
  /// Stakeholder handle of the contributor.
  public var stakeholder: String?
  /// Workshop key for an oral statement; nil for a written submission.
  public var workshop: String?
  /// Theme key.
  public var theme: String?
  /// Language tag.
  public var language: String?
  /// Consent level.
  public var attribution: Contribution.Attribution
  /// When it was received; nil means now.
  public var receivedAt: Date?

  /// Describes a contribution to record.
  public init(
    text: String, stakeholder: String?, workshop: String? = nil, theme: String? = nil, language: String? = nil,
    attribution: Contribution.Attribution = .named, receivedAt: Date? = nil
  ) {
    self.text = text
    self.stakeholder = stakeholder
    self.workshop = workshop
    self.theme = theme
    self.language = language
    self.attribution = attribution
    self.receivedAt = receivedAt
  }
}

extension ConsultStore {
  /// Records one contribution in the contribution machine's initial state.
  ///
  /// - Parameters:
  ///   - contribution: What to record; with a workshop it is an oral
  ///     statement at that workshop, made by a stakeholder recorded as
  ///     attending it (without a stakeholder: the workshop must have recorded
  ///     attendance); otherwise a written submission.
  ///   - consultationSlug: The consultation.
  ///   - actor: Who recorded it.
  /// - Returns: The stored contribution.
  /// - Throws: ``StoreError`` (`.invalidInput` for a text that is empty or only white space or
  ///   longer than ``ContributionText/maxBytes``, an unknown theme (listing the known ones) or a statement by someone not recorded
  ///   as attending; `.notFound`).
  @discardableResult
  public func recordContribution(_ contribution: NewContribution, in consultationSlug: String, actor: String)
    throws -> Contribution
  {
    // Stored as typed, leading and trailing spaces, tabs and line breaks included.
    let text = contribution.text
    guard !text.allSatisfy(\.isWhitespace) else { throw StoreError(.invalidInput, "the contribution text is empty") }
    if let problem = ContributionText.sizeProblem(text) {
      throw StoreError(.invalidInput, "the contribution text \(problem)")
    }
    return try transaction("contribution") {
      let consultation = try consultation(consultationSlug)
      if let theme = contribution.theme { try requireTheme(theme, in: consultation) }
      let workshopID = try contribution.workshop.map { try workshop($0, in: consultationSlug).id }
      let stakeholder = try contribution.stakeholder.map { try self.stakeholder($0) }
      if let workshopID, let key = contribution.workshop {
        // An oral statement is made by someone recorded as attending: this
        // also means the workshop took place.
        let attended = try connection.query(
          """
          SELECT 1 FROM attendance WHERE workshop_id = $1 AND ($2::bigint IS NULL OR stakeholder_id = $2) LIMIT 1
          """, [workshopID, stakeholder?.id])
        if attended.isEmpty {
          throw StoreError(
            .invalidInput,
            stakeholder == nil
              ? "workshop '\(key)' has no recorded attendance; record who attended first (`consult attendance`)"
              : "\(contribution.stakeholder ?? "") is not recorded as attending workshop '\(key)'; record attendance first (`consult attendance`)"
          )
        }
      }
      let initial = try initialState(.contribution, in: consultation)
      let rows = try connection.query(
        """
        INSERT INTO contributions (consultation_id, workshop_id, kind, text, theme, language, stakeholder_id,
                                   organisation_id, attribution, received_at, state)
        VALUES ($1, $2, $3, $4, $5, $6, $7,
                (SELECT CASE WHEN kind = 'organisation' THEN id ELSE organisation_id END FROM stakeholders WHERE id = $7),
                $8, coalesce($9, now()), $10)
        RETURNING id
        """,
        [
          consultation.id, workshopID,
          (workshopID == nil ? Contribution.Kind.writtenSubmission : .oralStatement).rawValue, text,
          contribution.theme, contribution.language, stakeholder?.id, contribution.attribution.rawValue,
          contribution.receivedAt.map(PostgresTimestamp.init), initial,
        ])
      let id: Int64 = try rows.rows[0].decode("id")
      try logCreation(
        EntityReference(.contribution, id), consultation: consultation, initialState: initial, actor: actor,
        at: contribution.receivedAt)
      if let workshopID {  // Disclosure.swift: a statement naming someone the Chatham House Rule protects
        try flagDisclosure(contributionID: id, workshopID: workshopID, actor: actor, at: contribution.receivedAt)
      }
      return try contributions(in: consultationSlug, id: id)[0]
    }
  }

  /// Contributions of a consultation in the order received (then id).
  ///
  /// - Parameters:
  ///   - consultationSlug: The consultation.
  ///   - id: Only this contribution, when given.
  ///   - limit: At most this many rows; nil for all.
  /// - Throws: ``StoreError`` (`.notFound` for an unknown consultation, not an empty list).
  public func contributions(in consultationSlug: String, id: Int64? = nil, limit: Int? = nil) throws
    -> [Contribution]
  {
    try translatingErrors("contributions") {
      let all = try connection.query(
        """
        SELECT k.id, k.kind, w.key AS workshop, k.theme, k.language,
               coalesce(s.handle, '#' || s.id) AS stakeholder, k.attribution, k.source, k.source_id,
               k.received_at, k.state, k.text
        FROM contributions k JOIN consultations c ON c.id = k.consultation_id
        LEFT JOIN workshops w ON w.id = k.workshop_id LEFT JOIN stakeholders s ON s.id = k.stakeholder_id
        WHERE c.slug = $1 AND ($2::bigint IS NULL OR k.id = $2)
        ORDER BY k.received_at, k.id LIMIT $3
        """, [consultationSlug, id, limit]
      ).map { row in
        Contribution(
          id: try row.decode("id"),
          kind: Contribution.Kind(rawValue: try row.decode("kind")) ?? .writtenSubmission,
          workshop: try row.decode("workshop", as: String?.self), theme: try row.decode("theme", as: String?.self),
          language: try row.decode("language", as: String?.self),
          stakeholder: try row.decode("stakeholder", as: String?.self),
          consent: Contribution.Attribution(rawValue: try row.decode("attribution")) ?? .notForPublication,
          source: try row.decode("source"), sourceID: try row.decode("source_id", as: String?.self),
          receivedAt: try row.decode("received_at", as: PostgresTimestamp.self).date,
          state: try row.decode("state"), text: try row.decode("text"))
      }
      if all.isEmpty { _ = try consultation(consultationSlug) }  // unknown: says so, not an empty list
      return all
    }
  }
}

extension ConsultStore {
  /// Fires a contribution event (`accept`, `reject`, `note`… as the workflow declares) on the
  /// given contributions of a consultation, or with `ids` nil on every one whose state allows it,
  /// in one transaction: each a transition with its own event (guards checked), all or nothing.
  ///
  /// - Parameters:
  ///   - event: The event.
  ///   - slug: The consultation.
  ///   - ids: The contributions (ids as `contributions list` shows them); nil: every contribution
  ///     whose current state has the event.
  ///   - actor: Who decided.
  ///   - reason: A note for the log.
  ///   - time: When, to record the past; nil: now.
  /// - Returns: The transitions, by contribution id.
  /// - Throws: ``StoreError`` (`.notFound` for an id not in the consultation; `.refused` when the
  ///   workflow refuses one of them, naming it; `.conflict`).
  @discardableResult
  public func advanceContributions(
    _ event: String, in slug: String, ids: [Int64]?, actor: String, reason: String? = nil, at time: Date? = nil
  ) throws -> [TransitionRecord] {
    try transaction("contributions of \(slug)") {
      let consultation = try consultation(slug)
      let definition = try workflow(name: consultation.workflowName, version: consultation.workflowVersion)
      try Self.requireOpen(state: consultation.state, of: definition, doing: "'\(event)' on its contributions")
      let machine = try definition.machine(for: .contribution)
      let rows = try connection.query(
        """
        SELECT id, state FROM contributions
        WHERE consultation_id = $1 AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[])) ORDER BY id
        """, [consultation.id, ids.map { PostgresTextArray($0.map(String.init)) }])
      if let ids {
        let found = Set(try rows.map { try $0.decode("id", as: Int64.self) })
        if let missing = ids.first(where: { !found.contains($0) }) {
          throw StoreError(
            .notFound, "no contribution #\(missing) in '\(slug)' (see `consult contributions list \(slug)`)")
        }
      }
      var records: [TransitionRecord] = []
      for row in rows {
        let id: Int64 = try row.decode("id")
        let state: String = try row.decode("state")
        if ids == nil && machine.transitions(for: event, from: state).isEmpty { continue }
        do {
          records.append(
            try applyTransition(event, on: EntityReference(.contribution, id), actor: actor, reason: reason, at: time))
        } catch let error as StoreError where error.kind == .refused {
          throw StoreError(.refused, "contribution #\(id): \(error.message)", refusal: error.refusal)
        }
      }
      if records.isEmpty && ids == nil && !machine.events.contains(event) {
        throw StoreError(
          .invalidInput,
          "the contribution lifecycle of '\(consultation.workflowName)' has no event '\(event)'"
            + "\(Phrasing.didYouMean(event, among: machine.events)); its events: "
            + (machine.events.isEmpty ? "none" : machine.events.joined(separator: ", ")))
      }
      return records
    }
  }
}
