import ConsultCore
import ConsultDrafting
import Foundation
import Postgres

/// A comment on a revision of the draft: ISO commenting template fields, its W3C text-quote
/// anchor, its state in the workflow's `comment` machine and the drafting team's latest decision.
public struct DraftComment: Sendable, Equatable, Encodable {
  /// The kind of comment (ISO commenting template: ge, te, ed).
  public enum CommentType: String, Sendable, Encodable, CaseIterable {
    /// General: on the approach or the whole.
    case general
    /// Technical: on substance.
    case technical
    /// Editorial: wording, typography.
    case editorial
  }

  /// Database id; cited in drafts as `[cN]`.
  public let id: Int64
  /// The revision commented on.
  public let revision: Int
  /// The section's anchor in that revision.
  public let section: String
  /// The line of that revision's text where the passage (or, without one, the section) starts.
  public let line: Int
  /// The passage quoted (W3C TextQuoteSelector); nil for a comment on the whole section.
  public let quote: TextQuoteSelector?
  /// The commenter's handle (`#id` when it has none).
  public let stakeholder: String
  /// The commenter's consent level, as stored.
  public let consent: Contribution.Attribution
  /// Kind of comment.
  public let type: CommentType
  /// The comment.
  public let text: String
  /// The change the commenter proposes, if any.
  public let proposedChange: String?
  /// State in the workflow's `comment` machine.
  public let state: String
  /// The drafting team's decision: the state its latest response moved it to (`accepted`,
  /// `rejected`, …), which closing keeps; nil while undecided.
  public let decision: String?
  /// The drafting team's response (latest decision); nil while undecided.
  public let response: String?
  /// The revision that carries the change (latest decision), if any.
  public let resolvedIn: Int?
  /// Where the passage is in the latest revision (exact, fuzzy, moved or orphaned).
  public let anchor: TextAnchor
  /// The facts the attribution rule needs (names are not encoded: exporters decide).
  public let commenter: AttributableContribution

  enum CodingKeys: String, CodingKey {
    case id, revision, section, line, quote, stakeholder, consent, type, text, proposedChange, state, decision
    case response, resolvedIn
    case anchor
  }

  /// Encodes every field but the commenter's names (snake_case keys through the CLI's encoder).
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(id, forKey: .id)
    try container.encode(revision, forKey: .revision)
    try container.encode(section, forKey: .section)
    try container.encode(line, forKey: .line)
    try container.encodeIfPresent(quote, forKey: .quote)
    try container.encode(stakeholder, forKey: .stakeholder)
    try container.encode(consent, forKey: .consent)
    try container.encode(type, forKey: .type)
    try container.encode(text, forKey: .text)
    try container.encodeIfPresent(proposedChange, forKey: .proposedChange)
    try container.encode(state, forKey: .state)
    try container.encodeIfPresent(decision, forKey: .decision)
    try container.encodeIfPresent(response, forKey: .response)
    try container.encodeIfPresent(resolvedIn, forKey: .resolvedIn)
    try container.encode(AnchorJSON(anchor), forKey: .anchor)
  }

  struct AnchorJSON: Encodable {
    let match: String
    let section: String?
    let text: String?
    init(_ anchor: TextAnchor) {
      match = anchor.match.rawValue
      section = anchor.section
      text = anchor.text
    }
  }
}

extension DraftComment {
  /// Where the comment's passage is in the latest revision, in words for a terminal line or a
  /// resolution matrix: "exact in 2-aims", "fuzzy in 2-aims", "moved to 3-means" or "orphaned".
  public var anchorNow: String {
    switch anchor.match {
    case .exact, .fuzzy: "\(anchor.match.rawValue) in \(anchor.section ?? section)"
    case .moved: "moved to \(anchor.section ?? "?")"
    case .orphaned: "orphaned"
    }
  }
}

extension ConsultStore {
  /// Records a comment on revision `revision` of the draft, on a section and optionally a passage
  /// of it (stored as a W3C TextQuoteSelector: the passage with 32 characters of context each
  /// side), in the initial state of the workflow's `comment` machine; the creation event pins its
  /// content hash.
  ///
  /// - Parameters:
  ///   - slug: The consultation.
  ///   - revision: The revision commented on.
  ///   - section: A section anchor of that revision.
  ///   - quote: The exact passage, or nil for the whole section.
  ///   - stakeholder: The commenter's handle.
  ///   - consent: The commenter's consent to be named (applied by every export).
  ///   - type: General, technical or editorial.
  ///   - text: The comment.
  ///   - proposedChange: The change proposed, if any.
  ///   - actor: Who records it.
  ///   - time: When it was made; nil: now.
  /// - Returns: The comment.
  /// - Throws: ``StoreError``: `.notFound` (revision, section — naming those there are —,
  ///   stakeholder), `.invalidInput` when the passage is not in the section, `.refused` when the
  ///   workflow has no `comment` machine or the draft is signed off.
  @discardableResult
  public func addComment(
    in slug: String, revision: Int, section: String, quote: String?, stakeholder: String,
    consent: Contribution.Attribution, type: DraftComment.CommentType, text: String, proposedChange: String?,
    actor: String, at time: Date? = nil
  ) throws -> DraftComment {
    try NameRule.requireText(text, "the comment")
    return try transaction("comment on the draft of \(slug)") {
      let draft = try draft(of: slug)
      let consultation = try consultation(slug)
      let initial = try initialState(.comment, in: consultation)
      try requireDrafting(draft, consultation: consultation, doing: "a comment")
      let commented = try draftRevision(of: slug, number: revision)
      try Self.requireAfter(commented, time, doing: "a comment on it")
      let sections = try Self.draftSections(commented.body)
      guard let home = sections.first(where: { $0.anchor == section }) else {
        throw StoreError(
          .notFound,
          "revision \(revision) has no section '\(section)'\(Phrasing.didYouMean(section, among: sections.map(\.anchor))); "
            + "its sections: \(sections.map(\.anchor).joined(separator: ", "))")
      }
      var selector: TextQuoteSelector?
      if let quote {
        guard let found = TextQuoteSelector.quoting(quote, in: TextAnchoring.text(of: home)) else {
          throw StoreError(
            .invalidInput, "section '\(section)' of revision \(revision) does not contain the passage \"\(quote)\"")
        }
        selector = found
      }
      let who = try self.stakeholder(stakeholder)
      let rows = try connection.query(
        """
        INSERT INTO draft_comments (consultation_id, draft_id, revision, section, quote_exact, quote_prefix,
                                    quote_suffix, stakeholder_id, attribution, comment_type, body, proposed_change, state)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id
        """,
        [
          consultation.id, draft.id, revision, section, selector?.exact, selector?.prefix, selector?.suffix, who.id,
          consent.rawValue, type.rawValue, text, proposedChange, initial,
        ])
      let id: Int64 = try rows.rows[0].decode("id")
      try logCreation(
        EntityReference(.comment, id), consultation: consultation, initialState: initial, actor: actor, at: time)
      return try comment(id, in: slug)
    }
  }

  /// Records the drafting team's decision on a comment: fires `event` of the workflow's `comment`
  /// machine with the response and the revision that carries the change in the event's data (so
  /// the event's hash covers them), and keeps both on the comment.
  ///
  /// - Parameters:
  ///   - id: The comment.
  ///   - slug: The consultation.
  ///   - event: An event of the `comment` machine (`accept`, `reject`, `note`, `close`, …).
  ///   - response: The drafting team's response; required unless the event leads to a final state.
  ///   - resolvedIn: The revision carrying the change, if any (an existing revision).
  ///   - actor: Who decides.
  ///   - time: When; nil: now.
  /// - Throws: ``StoreError`` (`.refused` by the workflow, `.invalidInput` without a response,
  ///   `.notFound`, `.conflict`).
  @discardableResult
  public func decideComment(
    _ id: Int64, in slug: String, event: String, response: String?, resolvedIn: Int?, actor: String,
    at time: Date? = nil
  ) throws -> DraftComment {
    try transaction("comment c\(id)") {
      let current = try comment(id, in: slug)
      let draft = try draft(of: slug)
      let consultation = try consultation(slug)
      try requireDrafting(draft, consultation: consultation, doing: "a decision on comment c\(id)")
      let machine = try workflow(name: consultation.workflowName, version: consultation.workflowVersion)
        .machine(for: .comment)
      if let resolvedIn, resolvedIn < 1 || resolvedIn > draft.revision {
        throw StoreError(.notFound, "the draft of '\(slug)' has no revision \(resolvedIn) (it has 1–\(draft.revision))")
      }
      if let resolvedIn {
        try Self.requireAfter(try draftRevision(of: slug, number: resolvedIn), time, doing: "a decision naming it")
      }
      let target = machine.transitions.first { $0.event == event && $0.from.contains(current.state) }?.to
      if response?.allSatisfy(\.isWhitespace) ?? true, let target, !machine.isFinal(target) {
        throw StoreError(
          .invalidInput, "give the drafting team's response to comment c\(id) with --response (it goes into the matrix)"
        )
      }
      _ = try applyTransition(
        event, on: EntityReference(.comment, id), actor: actor, reason: nil, at: time,
        data: ["response": response, "resolved_in": resolvedIn.map(String.init)])
      try connection.execute(
        "UPDATE draft_comments SET response = coalesce($1, response), resolved_in = coalesce($2, resolved_in) WHERE id = $3",
        [response, resolvedIn, id])
      return try comment(id, in: slug)
    }
  }

  /// Refuses a comment on, or a decision naming, a revision recorded after the comment or decision
  /// (events in the order they happened, as migration 0014 keeps each entity's).
  static func requireAfter(_ revision: DraftRevision, _ time: Date?, doing what: String) throws {
    guard let time, time < revision.recordedAt else { return }
    let format = ISO8601DateFormatter()
    throw StoreError(
      .invalidInput,
      "revision \(revision.revision) was recorded at \(format.string(from: revision.recordedAt)); \(what) at "
        + "\(format.string(from: time)) would come before it")
  }

  /// How many comments on the consultation's draft are in each state of the `comment` machine
  /// (without re-anchoring them).
  ///
  /// - Throws: ``StoreError`` (`.notFound` when there is no draft).
  public func commentCounts(in slug: String) throws -> [String: Int] {
    let draft = try draft(of: slug)
    return try translatingErrors("comments on the draft of \(slug)") {
      var counts: [String: Int] = [:]
      for row in try connection.query(
        "SELECT state, count(*) AS n FROM draft_comments WHERE draft_id = $1 GROUP BY state", [draft.id])
      {
        counts[try row.decode("state")] = try row.decode("n")
      }
      return counts
    }
  }

  /// One comment on the consultation's draft, anchored in the latest revision.
  ///
  /// - Throws: ``StoreError`` (`.notFound`).
  public func comment(_ id: Int64, in slug: String) throws -> DraftComment {
    guard let found = try comments(in: slug, id: id).first else {
      throw StoreError(.notFound, "the draft of '\(slug)' has no comment c\(id) (see `consult draft comments \(slug)`)")
    }
    return found
  }

  /// The comments on the consultation's draft, oldest first, each re-anchored in the latest
  /// revision (``ConsultDrafting/TextAnchoring``).
  ///
  /// - Parameters:
  ///   - slug: The consultation.
  ///   - id: One comment only, or nil for all.
  /// - Throws: ``StoreError`` (`.notFound` when there is no draft).
  public func comments(in slug: String, id: Int64? = nil) throws -> [DraftComment] {
    let draft = try draft(of: slug)
    let latest = try draftRevision(of: slug)
    let sections = try Self.draftSections(latest.body)
    var commented: [Int: (body: String, sections: [DraftSection])] = [:]
    for revision in try draftRevisions(of: slug) {
      commented[revision.revision] = (revision.body, try Self.draftSections(revision.body))
    }
    return try translatingErrors("comments on the draft of \(slug)") {
      try connection.query(
        """
        SELECT k.id, k.revision, k.section, k.quote_exact, k.quote_prefix, k.quote_suffix,
               coalesce(s.handle, '#' || s.id) AS handle, k.attribution, k.comment_type, k.body, k.proposed_change,
               k.state, k.response, k.resolved_in,
               (SELECT x.to_state FROM events x WHERE x.entity_kind = 'comment' AND x.entity_id = k.id
                  AND x.data ->> 'response' IS NOT NULL ORDER BY x.id DESC LIMIT 1) AS decision,
               s.name AS contributor, s.kind = 'person' AS is_person,
               coalesce(o.name, CASE WHEN s.kind = 'organisation' THEN s.name END) AS organisation,
               coalesce(g.name, og.name) AS group_name
        FROM draft_comments k JOIN stakeholders s ON s.id = k.stakeholder_id
        LEFT JOIN stakeholders o ON o.id = s.organisation_id
        LEFT JOIN stakeholder_groups g ON g.key = s.stakeholder_group
        LEFT JOIN stakeholder_groups og ON og.key = o.stakeholder_group
        WHERE k.draft_id = $1 AND ($2::bigint IS NULL OR k.id = $2)
        ORDER BY k.id
        """, [draft.id, id]
      ).map { row in
        let exact = try row.decode("quote_exact", as: String?.self)
        let selector = try exact.map {
          TextQuoteSelector(
            exact: $0, prefix: try row.decode("quote_prefix"), suffix: try row.decode("quote_suffix"))
        }
        let section: String = try row.decode("section")
        let consent = Contribution.Attribution(rawValue: try row.decode("attribution")) ?? .notForPublication
        let text: String = try row.decode("body")
        let commentID: Int64 = try row.decode("id")
        let revision: Int = try row.decode("revision")
        var line = 1
        if let (body, parsed) = commented[revision], let home = parsed.first(where: { $0.anchor == section }) {
          line = selector?.line(in: home, of: body) ?? home.line
        }
        return DraftComment(
          id: commentID, revision: revision, section: section, line: line, quote: selector,
          stakeholder: try row.decode("handle"), consent: consent,
          type: DraftComment.CommentType(rawValue: try row.decode("comment_type")) ?? .general, text: text,
          proposedChange: try row.decode("proposed_change", as: String?.self), state: try row.decode("state"),
          decision: try row.decode("decision", as: String?.self),
          response: try row.decode("response", as: String?.self),
          resolvedIn: try row.decode("resolved_in", as: Int?.self),
          anchor: TextAnchoring.anchor(section: section, selector: selector, in: sections),
          commenter: AttributableContribution(
            id: commentID, theme: nil, text: text, contributorName: try row.decode("contributor", as: String?.self),
            contributorIsPerson: try row.decode("is_person"),
            organisationName: try row.decode("organisation", as: String?.self),
            groupName: try row.decode("group_name", as: String?.self), attribution: consent))
      }
    }
  }
}
