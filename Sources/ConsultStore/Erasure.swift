import Foundation
import Postgres

/// What ``ConsultStore/forgetStakeholder(_:reason:actor:alsoIdentifying:actorHandles:)`` did.
public struct ErasureReport: Sendable, Equatable, Encodable {
  /// The stable pseudonym that now stands for the person, e.g. "Participant 17".
  public let pseudonym: String
  /// Contributions by the person or naming them that were rewritten (each an event).
  public let contributions: Int
  /// Proceedings summaries naming them that were rewritten (each an event).
  public let summaries: Int
  /// Draft revisions naming them that were rewritten (each an event on the draft, migration 0035).
  public let draftRevisions: Int
  /// Draft comments by the person or naming them that were rewritten (each an event).
  public let comments: Int
  /// Events whose reason or data named them, rewritten (pinned by one event per consultation).
  public let events: Int
  /// Actor records erased.
  public let actors: Int
  /// Consultations that logged an erasure event.
  public let consultations: Int
  /// Whether the touched tables were vacuumed afterwards (dead row versions removed), or nil when
  /// that was not tried.
  public var vacuumed: Bool?
}

extension ConsultStore {
  /// The tables an erasure rewrites, vacuumed after it (``vacuumAfterErasure()``).
  public static let erasureTables = [
    "stakeholders", "actors", "contributions", "contribution_revisions", "contribution_redactions",
    "proceedings_summaries", "proceedings_summary_revisions", "events", "workshop_reschedules", "contribution_tags",
    "consultations", "themes", "workshops", "drafts", "draft_revisions", "draft_comments",
  ]

  /// Forgets a stakeholder (GDPR Art. 17, right to erasure) through the one sanctioned path, SQL
  /// `consult_forget_stakeholder` (migration 0020), in one transaction: the name becomes a stable
  /// pseudonym ("Participant 17"); e-mail, role, handle and source key are dropped; contributions
  /// are kept as the consent allows (named ones reattributed to the stakeholder group, withheld
  /// ones stay withheld); the person's identifying strings (name, e-mail address, the named actors'
  /// names, `alsoIdentifying`, and the handles and the address's local part when they are no plain
  /// word; whole words, case-insensitive, at least 3 characters) are replaced by the pseudonym in contribution texts,
  /// titles and earlier revisions, summaries and their revisions, draft revisions and the draft's
  /// title, draft comments (text, proposed change, response, quote; the person's own comments
  /// reattributed like contributions), consultations' titles and owners, themes' titles,
  /// workshops' titles and venues, event reasons and data, reschedule reasons, tag queries and
  /// redacted spans; the actors named are erased. Every
  /// rewrite is logged so that ``verifyLog(of:digest:)`` still passes. Only a one-way key of the
  /// dropped source key or match key stays (`erased_import_keys`, migration 0050), so that a
  /// re-import of their source does not create them again (``importSubmissions(_:into:language:actor:sourceName:updateChanged:at:invalid:resume:progress:)``).
  ///
  /// The session must act as `consult_admin`; the function refuses others (SQLSTATE 42501).
  ///
  /// - Parameters:
  ///   - reference: The stakeholder's handle, or `#ID`.
  ///   - reason: Why (recorded with the events; the person's strings are redacted from it too).
  ///   - actor: Who erases (a registered actor handle).
  ///   - alsoIdentifying: Further strings that identify the person (a nickname, a former name).
  ///   - actorHandles: The person's own actor records, erased (handle becomes `erased-ID`).
  /// - Returns: What was rewritten.
  /// - Throws: ``StoreError`` (`.notFound`, `.alreadyExists` when already forgotten,
  ///   `.invalidInput` for an empty reason, `.database` with SQLSTATE 42501 for another role).
  public func forgetStakeholder(
    _ reference: String, reason: String, actor: String, alsoIdentifying: [String] = [], actorHandles: [String] = []
  ) throws -> ErasureReport {
    try NameRule.requireText(reason, "the reason for the erasure")
    return try transaction("erasure of stakeholder \(reference)") {
      let id = try stakeholderID(reference)
      let row = try connection.query(
        "SELECT consult_forget_stakeholder($1, $2, $3, $4::text[], $5::text[])::text AS r",
        [id, reason, actor, PostgresTextArray(alsoIdentifying), PostgresTextArray(actorHandles)]
      ).rows[0]
      let json: String = try row.decode("r")
      let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
      return ErasureReport(
        pseudonym: object["pseudonym"] as? String ?? "", contributions: object["contributions"] as? Int ?? 0,
        summaries: object["summaries"] as? Int ?? 0, draftRevisions: object["draft_revisions"] as? Int ?? 0,
        comments: object["comments"] as? Int ?? 0, events: object["events"] as? Int ?? 0,
        actors: object["actors"] as? Int ?? 0, consultations: object["consultations"] as? Int ?? 0, vacuumed: nil)
    }
  }

  /// The id of a stakeholder given by handle or `#ID`.
  ///
  /// - Throws: ``StoreError`` (`.notFound`).
  func stakeholderID(_ reference: String) throws -> Int64 {
    if reference.hasPrefix("#"), let id = Int64(reference.dropFirst()) {
      guard try !connection.query("SELECT 1 FROM stakeholders WHERE id = $1", [id]).isEmpty else {
        throw StoreError(.notFound, "no stakeholder \(reference)")
      }
      return id
    }
    return try stakeholder(reference).id
  }

  /// Vacuums the tables an erasure rewrites (``erasureTables``), so the rewritten rows' old
  /// versions leave the data files (PostgreSQL docs §25.1.2). VACUUM cannot run inside a
  /// transaction and, before PostgreSQL 17, only the tables' owner or a superuser may run it: the
  /// session's login role is used (`RESET ROLE`) when it may; otherwise nothing is done.
  ///
  /// - Returns: Whether every table was vacuumed.
  /// - Throws: ``StoreError`` (`.database`).
  @discardableResult
  public func vacuumAfterErasure() throws -> Bool {
    try translatingErrors("vacuum after erasure") {
      let may: Bool =
        try connection.query(
          """
          SELECT r.rolsuper OR pg_has_role(session_user, 'consult_owner', 'MEMBER') AS may
          FROM pg_roles r WHERE r.rolname = session_user
          """
        ).rows.first?.decode("may") ?? false
      guard may else { return false }
      let role: String = try connection.query("SELECT current_user AS r").rows[0].decode("r")
      try connection.execute("RESET ROLE")
      defer {
        // Never go on as the login role (an owner or superuser): a session that cannot take its
        // role back is closed, so that whatever uses it next fails instead.
        do {
          try connection.execute("SET ROLE " + connection.quoteIdentifier(role))
        } catch {
          connection.close()
        }
      }
      try connection.execute(
        "VACUUM (ANALYZE) " + Self.erasureTables.map { try connection.quoteIdentifier($0) }.joined(separator: ", "))
      return true
    }
  }
}
