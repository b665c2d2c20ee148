import ConsultCore
import ConsultDrafting
import Foundation
import Postgres

/// A consultation's draft paper: its latest revision and its state in the workflow's `draft`
/// machine.
public struct Draft: Sendable, Equatable, Encodable {
  /// Database id.
  public let id: Int64
  /// The consultation's slug.
  public let consultation: String
  /// The latest revision's title.
  public let title: String
  /// The latest revision's number (1, 2, …).
  public let revision: Int
  /// State in the workflow's `draft` machine (`drafting`, `final`, …).
  public let state: String
  /// Whether that state is final (the latest revision is the signed-off text).
  public let isFinal: Bool
}

/// One revision of the draft, as written; never changed.
public struct DraftRevision: Sendable, Equatable, Encodable {
  /// Its number.
  public let revision: Int
  /// Title.
  public let title: String
  /// The text (Markdown).
  public let body: String
  /// SHA-256 (hex) of the revision (SQL `consult_draft_revision_content`, migration 0035): what
  /// approvals approve.
  public let contentHash: String
  /// When it was recorded (UTC).
  public let recordedAt: Date
  /// The actor's handle.
  public let actor: String
}

extension ConsultStore {
  /// Starts the consultation's draft (one per consultation) with `body` as revision 1, in the
  /// initial state of the workflow's `draft` machine; the creation event pins the revision's
  /// content hash.
  ///
  /// - Parameters:
  ///   - slug: The consultation.
  ///   - title: The paper's title.
  ///   - body: Markdown; its sections get stable anchors (``ConsultDrafting/DraftDocument``).
  ///   - actor: Who records it.
  ///   - time: When it was written; nil: now.
  /// - Returns: The draft.
  /// - Throws: ``StoreError``: `.refused` when the consultation's workflow declares no `draft`
  ///   machine or the consultation is finished; `.alreadyExists`; `.invalidInput` for a malformed
  ///   anchor (with its line) or a citation of something that is not in the record.
  @discardableResult
  public func createDraft(in slug: String, title: String, body: String, actor: String, at time: Date? = nil)
    throws -> Draft
  {
    try NameRule.requireText(title, "the draft's title")
    _ = try Self.draftSections(body)
    return try transaction("draft of \(slug)") {
      let consultation = try consultation(slug)
      let initial = try initialState(.draft, in: consultation)
      try checkDraftCitations(in: body, consultationID: consultation.id, draftID: nil)
      let rows: PostgresResult
      do {
        rows = try connection.query(
          "INSERT INTO drafts (consultation_id, title, state) VALUES ($1, $2, $3) RETURNING id",
          [consultation.id, title, initial])
      } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation {
        throw StoreError(
          .alreadyExists, "consultation '\(slug)' already has a draft; add a revision with `consult draft revise`",
          underlying: error)
      }
      let id: Int64 = try rows.rows[0].decode("id")
      try connection.execute(
        "INSERT INTO draft_revisions (draft_id, revision, title, body) VALUES ($1, 1, $2, $3)", [id, title, body])
      try logCreation(
        EntityReference(.draft, id), consultation: consultation, initialState: initial, actor: actor, at: time)
      return try draft(of: slug)
    }
  }

  /// Adds a revision: the next number, `body` as written, logged as a `revise-draft` record event
  /// pinning its content hash and naming the approvals it voids (those of the previous revision:
  /// an approval approves one revision's exact text). Allowed only while the draft is in its
  /// machine's initial state.
  ///
  /// - Parameters:
  ///   - slug: The consultation.
  ///   - title: A new title, or nil to keep the latest.
  ///   - body: The new text (Markdown).
  ///   - actor: Who records it.
  ///   - time: When; nil: now.
  /// - Returns: The draft, at its new revision.
  /// - Throws: ``StoreError`` (`.notFound`, `.refused` when the draft is final, `.invalidInput`,
  ///   `.conflict` when revised concurrently).
  @discardableResult
  public func reviseDraft(in slug: String, title: String?, body: String, actor: String, at time: Date? = nil)
    throws -> Draft
  {
    if let title { try NameRule.requireText(title, "the draft's title") }
    _ = try Self.draftSections(body)
    return try transaction("draft of \(slug)") {
      let before = try draft(of: slug)
      try lockForChange(EntityReference(.draft, before.id))
      let current = try draft(of: slug)
      let consultation = try consultation(slug)
      try requireDrafting(current, consultation: consultation, doing: "a new revision")
      try checkDraftCitations(in: body, consultationID: consultation.id, draftID: current.id)
      let next = current.revision + 1
      let newTitle = title ?? current.title
      let latest = try draftRevision(of: slug, number: current.revision)
      if latest.body == body && latest.title == newTitle {
        throw StoreError(
          .invalidInput, "the text is the same as revision \(current.revision): nothing to revise (nothing written)")
      }
      let hash: String = try connection.query(
        "SELECT encode(consult_draft_revision_content($1, $2, $3, $4), 'hex') AS h",
        [current.id, next, newTitle, body]
      ).rows[0].decode("h")
      let voided = try connection.query(
        "SELECT stakeholder_id FROM draft_approvals WHERE draft_id = $1 AND revision = $2 ORDER BY stakeholder_id",
        [current.id, current.revision]
      ).map { String(try $0.decode("stakeholder_id", as: Int64.self)) }
      try recordChange(
        RecordEvent.draftRevised, on: EntityReference(.draft, current.id), actor: actor,
        reason: "revision \(next)"
          + (voided.isEmpty
            ? "" : "; voids \(voided.count) approval\(voided.count == 1 ? "" : "s") of revision \(current.revision)"),
        data: ["revision": String(next), "voided_approvals": voided.isEmpty ? nil : voided.joined(separator: ",")],
        contentHash: hash, at: time)
      try connection.execute(
        "INSERT INTO draft_revisions (draft_id, revision, title, body) VALUES ($1, $2, $3, $4)",
        [current.id, next, newTitle, body])
      let updated = try connection.execute(
        "UPDATE drafts SET revision = $1, title = $2 WHERE id = $3 AND revision = $4",
        [next, newTitle, current.id, current.revision])
      if updated != 1 {
        throw StoreError(.conflict, "the draft of '\(slug)' was revised by someone else; reload and revise again")
      }
      return try draft(of: slug)
    }
  }

  /// The consultation's draft.
  ///
  /// - Throws: ``StoreError`` (`.notFound` when it has none).
  public func draft(of slug: String) throws -> Draft {
    try translatingErrors("draft of \(slug)") {
      let consultation = try consultation(slug)
      let rows = try connection.query(
        "SELECT id, title, revision, state FROM drafts WHERE consultation_id = $1", [consultation.id])
      guard let row = rows.rows.first else {
        throw StoreError(.notFound, "consultation '\(slug)' has no draft yet (start one with `consult draft new`)")
      }
      let state: String = try row.decode("state")
      let machine = try workflow(name: consultation.workflowName, version: consultation.workflowVersion)
        .machines[.draft]
      return Draft(
        id: try row.decode("id"), consultation: slug, title: try row.decode("title"),
        revision: try row.decode("revision"), state: state, isFinal: machine?.isFinal(state) ?? false)
    }
  }

  /// Every revision of the draft, oldest first.
  ///
  /// - Throws: ``StoreError`` (`.notFound`).
  public func draftRevisions(of slug: String) throws -> [DraftRevision] {
    let draft = try draft(of: slug)
    return try translatingErrors("revisions of the draft of \(slug)") {
      try connection.query(
        """
        SELECT r.revision, r.title, r.body,
               encode(consult_draft_revision_content(r.draft_id, r.revision, r.title, r.body), 'hex') AS hash,
               e.occurred_at, a.handle
        FROM draft_revisions r
        JOIN events e ON e.entity_kind = 'draft' AND e.entity_id = r.draft_id AND e.content_hash IS NOT NULL
          AND ((e.from_state IS NULL AND r.revision = 1) OR (e.event = 'revise-draft' AND e.data ->> 'revision' = r.revision::text))
        JOIN actors a ON a.id = e.actor_id
        WHERE r.draft_id = $1 ORDER BY r.revision
        """, [draft.id]
      ).map {
        DraftRevision(
          revision: try $0.decode("revision"), title: try $0.decode("title"), body: try $0.decode("body"),
          contentHash: try $0.decode("hash"), recordedAt: try $0.decode("occurred_at", as: PostgresTimestamp.self).date,
          actor: try $0.decode("handle"))
      }
    }
  }

  /// One revision of the draft; nil `number`: the latest.
  ///
  /// - Throws: ``StoreError`` (`.notFound` naming the revisions there are).
  public func draftRevision(of slug: String, number: Int? = nil) throws -> DraftRevision {
    let revisions = try draftRevisions(of: slug)
    let wanted = number ?? revisions.count
    guard let found = revisions.first(where: { $0.revision == wanted }) else {
      throw StoreError(
        .notFound, "the draft of '\(slug)' has no revision \(wanted) (it has 1–\(revisions.count))")
    }
    return found
  }

  /// Fires an event of the `draft` machine. The sign-off event (`sign-off: event:` in the workflow
  /// file) is refused until every required approver has approved the latest revision.
  ///
  /// - Throws: ``StoreError`` (`.refused`, `.notFound`, `.conflict`).
  @discardableResult
  public func advanceDraft(in slug: String, event: String, actor: String, reason: String? = nil, at time: Date? = nil)
    throws -> TransitionRecord
  {
    try transaction("draft of \(slug)") {
      let current = try draft(of: slug)
      let consultation = try consultation(slug)
      let definition = try workflow(name: consultation.workflowName, version: consultation.workflowVersion)
      if let rule = definition.signOff, rule.event == event {
        let status = try signOffStatus(of: slug)
        if !status.missing.isEmpty {
          throw StoreError(
            .refused,
            "revision \(current.revision) still needs the approval of \(status.missing.joined(separator: ", ")) "
              + "(`consult draft approve \(slug) --revision \(current.revision) --stakeholder HANDLE`)")
        }
      }
      return try applyTransition(
        event, on: EntityReference(.draft, current.id), actor: actor, reason: reason ?? "revision \(current.revision)",
        at: time)
    }
  }

  /// The contributions a revision cites (`[#12]`), with their attribution facts, by id: what the
  /// draft export lists per section, through the attribution rules.
  ///
  /// - Throws: ``StoreError`` (`.notFound`).
  public func draftCitedContributions(of slug: String, revision: Int? = nil) throws -> [Int64: CitedContribution] {
    let consultation = try consultation(slug)
    let text = try draftRevision(of: slug, number: revision).body
    let cited = DraftDocument.citations(in: text).contributions
    return try translatingErrors("contributions cited by the draft of \(slug)") {
      try citedContributions(cited, consultationID: consultation.id)
    }
  }

  // MARK: - Helpers

  /// The sections of a draft's text, errors as ``StoreError`` (`.invalidInput`, naming the line;
  /// or the size, for a text over ``ConsultDrafting/DraftDocument/maxBytes``).
  static func draftSections(_ body: String) throws -> [DraftSection] {
    if let problem = DraftDocument.sizeProblem(body) { throw StoreError(.invalidInput, "the draft \(problem)") }
    if body.allSatisfy(\.isWhitespace) {
      throw StoreError(.invalidInput, "the draft is empty: a revision needs its text (revisions are never changed)")
    }
    let sections: [DraftSection]
    do {
      sections = try DraftDocument.sections(of: body)
    } catch {
      throw StoreError(.invalidInput, error.description)
    }
    // `draft export` appends the sources under `## Sources {#sources}`; a copy exported with them
    // and revised back would carry them as text.
    if let sources = sections.first(where: { $0.anchor == "sources" }) {
      throw StoreError(
        .invalidInput,
        "line \(sources.line): the section 'sources' is the list of sources `consult draft export` adds; revise from "
          + "a copy exported with --without-sources, or delete that section (or give the heading another anchor)")
    }
    return sections
  }

  /// Refuses a change to a draft that has left its machine's initial state (signed off).
  func requireDrafting(_ draft: Draft, consultation: Consultation, doing what: String) throws {
    let initial = try initialState(.draft, in: consultation)
    guard draft.state == initial else {
      throw StoreError(
        .refused,
        "the draft of '\(consultation.slug)' is '\(draft.state)' (at revision \(draft.revision)); "
          + "\(what) is accepted only while it is '\(initial)'")
    }
  }

  /// Checks that every contribution a draft cites (`[#12]`) belongs to the consultation and every
  /// comment (`[c3]`) to its draft.
  func checkDraftCitations(in body: String, consultationID: Int64, draftID: Int64?) throws {
    let cited = DraftDocument.citations(in: body)
    if !cited.contributions.isEmpty {
      let found = Set(
        try connection.query(
          "SELECT id FROM contributions WHERE consultation_id = $1 AND id = ANY($2::bigint[])",
          [consultationID, PostgresTextArray(cited.contributions.map(String.init))]
        ).map { try $0.decode("id", as: Int64.self) })
      let missing = cited.contributions.filter { !found.contains($0) }
      if !missing.isEmpty {
        throw StoreError(
          .invalidInput,
          "the draft cites \(missing.map { "#\($0)" }.joined(separator: ", ")), not \(missing.count == 1 ? "a contribution" : "contributions") of this consultation (see `consult contributions list`)"
        )
      }
    }
    if !cited.comments.isEmpty {
      let found = Set(
        try connection.query(
          "SELECT id FROM draft_comments WHERE draft_id = $1 AND id = ANY($2::bigint[])",
          [draftID ?? 0, PostgresTextArray(cited.comments.map(String.init))]
        ).map { try $0.decode("id", as: Int64.self) })
      let missing = cited.comments.filter { !found.contains($0) }
      if !missing.isEmpty {
        throw StoreError(
          .invalidInput,
          "the draft cites \(missing.map { "c\($0)" }.joined(separator: ", ")), not \(missing.count == 1 ? "a comment" : "comments") on this draft (see `consult draft comments`)"
        )
      }
    }
  }
}
