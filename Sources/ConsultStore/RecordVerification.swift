import Foundation
import Postgres

/// What ``ConsultStore/verifyLog(of:digest:)`` found: the replay of every state, the hash chain
/// of every entity, the content every contribution and summary carries, and, when given, whether
/// the record still extends a published digest.
public struct LogVerification: Sendable, Equatable, Encodable {
  /// The replay of states (``ConsultStore/checkLog(of:pageSize:)``).
  public let replay: LogCheckReport
  /// Events whose hashes were recomputed.
  public let eventsHashed: Int
  /// Every broken link, in event order (then by entity): the first is where the record was
  /// changed first.
  public let brokenLinks: [LogDiscrepancy]
  /// With a digest to check: whether the record still extends it; nil without one.
  public let digestMatches: Bool?
  /// The digest checked, when one was given.
  public let digest: String?
  /// The erasures that rewrote earlier events (migration 0020), each a sanctioned rewrite that
  /// verifies, listed so that none goes unseen.
  public var erasures: [ErasureRewrite] = []

  /// Whether everything holds.
  public var isIntact: Bool { replay.isConsistent && brokenLinks.isEmpty && digestMatches != false }
}

/// An erasure (`consult stakeholder forget`) that rewrote earlier events' reasons or data, as
/// ``ConsultStore/verifyLog(of:digest:)`` reports it.
public struct ErasureRewrite: Sendable, Equatable, Encodable {
  /// The erasure event's id.
  public let eventID: Int64
  /// When it was recorded (UTC).
  public let occurredAt: Date
  /// Who recorded it (nil once that actor is erased).
  public let actor: String?
  /// How many earlier events it rewrote.
  public let eventsRewritten: Int
  /// How many of those the digest being checked had pinned as they were before (0 without one).
  public let pinnedByDigest: Int
}

/// A record digest: the newest event it covers and the SHA-256 (hex) of the consultation's chain
/// heads as of that event (SQL `consult_record_digest`, migration 0012), written `CUTOFF:HEX`.
public struct RecordDigest: Sendable, Equatable, Encodable, CustomStringConvertible {
  /// The id of the newest event covered (0 for a consultation without events).
  public let cutoff: Int64
  /// The digest, 64 lower-case hex digits.
  public let hex: String

  /// `CUTOFF:HEX`.
  public var description: String { "\(cutoff):\(hex)" }

  /// Reads `CUTOFF:HEX`.
  ///
  /// - Parameter text: A digest as ``description`` writes it.
  /// - Returns: The digest, or nil when the text is not one.
  public init?(_ text: String) {
    let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2, let cutoff = Int64(parts[0]), cutoff >= 0, parts[1].count == 64,
      parts[1].allSatisfy({ $0.isHexDigit && !$0.isUppercase })
    else { return nil }
    self.cutoff = cutoff
    self.hex = String(parts[1])
  }

  init(cutoff: Int64, hex: String) {
    self.cutoff = cutoff
    self.hex = hex
  }
}

extension ConsultStore {
  /// Verifies the record: replays the states (``checkLog(of:pageSize:)``), recomputes every
  /// event's hash and its link to the previous event of its entity, checks that the latest
  /// content event of every contribution and proceedings summary pins its current content, that
  /// every earlier revision of a contribution or summary, every draft revision, approval and
  /// comment, and every redaction row is what its events pinned (none deleted, none added outside
  /// consult; migrations 0020 and 0035), that every import batch's event (migration 0040) still
  /// pins its contributions (its batch hash recomputed over their pinned contents; each one it
  /// lists present, none added; a contribution without a content event of its own has the content
  /// its batch pinned, and its first own event links to the batch event), and,
  /// with `digest`, that the consultation's chain heads as of the digest's cutoff still give it.
  ///
  /// Every hash is recomputed by the SQL functions of migration 0012 (the one place they are
  /// defined). An event rewritten by an erasure (migration 0020) verifies when a redaction record
  /// pinned by its consultation's erasure event holds its chained hash and its rewritten one. Catches edits of an event's fields (actor, reason, time, states, data), events
  /// deleted, inserted or reordered inside a chain, edited contribution and summary texts; with a
  /// digest, also deleted latest events and a rewrite whose hashes were all recomputed.
  ///
  /// - Parameters:
  ///   - slug: One consultation, or nil for the whole database.
  ///   - digest: A digest printed earlier (``recordDigest(of:)``, "Record digest:" in exports): of
  ///     the consultation, or, without one, of the stakeholder register.
  /// - Returns: The findings.
  /// - Throws: ``StoreError`` (`.notFound`).
  public func verifyLog(of slug: String? = nil, digest: RecordDigest? = nil) throws -> LogVerification {
    let replay = try checkLog(of: slug)
    return try translatingErrors("log verification") {
      try connection.withTransaction(isolation: .repeatableRead) {
        try connection.execute("SET TRANSACTION READ ONLY")
        let consultationID = try slug.map { try consultation($0).id }
        var broken: [(Int64, LogDiscrepancy)] = []
        let rows = try connection.query(
          """
          SELECT v.id, v.entity_kind, v.entity_id, v.event, v.unhashed, v.altered,
                 v.prev_hash IS DISTINCT FROM coalesce(v.lag_hash, o.hash) AS unlinked,
                 coalesce(v.lag_id, o.id) AS previous
          FROM (
            SELECT id, entity_kind, entity_id, event, prev_hash, hash IS NULL AS unhashed,
                   CASE WHEN hash IS NOT DISTINCT FROM consult_event_hash(e) THEN false
                        ELSE NOT consult_event_intact(e) END AS altered,
                   lag(hash) OVER w AS lag_hash, lag(id) OVER w AS lag_id
            FROM events e WHERE $1::bigint IS NULL OR consultation_id = $1
            WINDOW w AS (PARTITION BY entity_kind, entity_id ORDER BY id)
          ) v
          -- The first event of a contribution created by an import batch chains from the batch's
          -- event (migration 0040).
          LEFT JOIN LATERAL (SELECT b.id, b.hash FROM contributions k
                             JOIN events b ON b.entity_kind = 'contribution-batch' AND b.entity_id = k.batch_id
                               AND b.from_state IS NULL
                             WHERE v.lag_id IS NULL AND v.entity_kind = 'contribution' AND k.id = v.entity_id) o ON true
          ORDER BY v.id
          """, [consultationID])
        for row in rows {
          let unhashed: Bool = try row.decode("unhashed")
          let altered: Bool = try row.decode("altered")
          let unlinked: Bool = try row.decode("unlinked")
          guard unhashed || altered || unlinked else { continue }
          let id: Int64 = try row.decode("id")
          let previous = try row.decode("previous", as: Int64?.self)
          let event: String = try row.decode("event")
          let message =
            unhashed
            ? "'\(event)' has no hash: it was written past the chain (its trigger disabled)"
            : altered
              ? "'\(event)' does not match its hash: a field was changed (actor, reason, time, states, data "
                + "or its id)"
              : previous.map {
                "'\(event)' is not linked to the entity's previous event #\($0): an event between them was "
                  + "deleted or inserted, or the previous one changed"
              } ?? "'\(event)' links to a previous event, but it is the entity's first: its earlier events were deleted"
          broken.append(
            (
              id,
              LogDiscrepancy(
                entityKind: try row.decode("entity_kind"), entityID: try row.decode("entity_id"), eventID: id,
                message: message)
            ))
        }
        let hashed = rows.count
        let edited =
          "its content (text, attribution or author) is not what event #%@ pinned: it was edited outside consult"
        for (kind, sql, what) in [
          (
            "contribution",
            """
            SELECT k.id, coalesce(e.id, b.id) AS event_id,
                   CASE WHEN e.id IS NOT NULL THEN e.content_hash
                        WHEN b.id IS NOT NULL THEN k.batch_content_hash END
                     IS DISTINCT FROM consult_contribution_content(k.text, k.attribution, k.stakeholder_id) AS differs
            FROM contributions k
            LEFT JOIN LATERAL (SELECT x.id, x.content_hash FROM events x
                               WHERE x.entity_kind = 'contribution' AND x.entity_id = k.id
                                 AND x.content_hash IS NOT NULL ORDER BY x.id DESC LIMIT 1) e ON true
            -- Created by an import batch (migration 0040): its batch event created it, pinning
            -- batch_content_hash through the batch hash (checked below).
            LEFT JOIN events b ON e.id IS NULL AND k.batch_id IS NOT NULL AND b.entity_kind = 'contribution-batch'
              AND b.entity_id = k.batch_id AND b.from_state IS NULL
            WHERE $1::bigint IS NULL OR k.consultation_id = $1
            """, edited
          ),
          // Import batches (migration 0040): the batch hash over the members' pins, every member
          // the batch event lists present, and no member it does not list.
          (
            "contribution-batch",
            """
            WITH members AS (
              SELECT k.batch_id,
                     consult_contribution_batch_content(array_agg(k.id), array_agg(k.batch_content_hash)) AS content
              FROM contributions k
              WHERE k.batch_id IS NOT NULL AND ($1::bigint IS NULL OR k.consultation_id = $1)
              GROUP BY k.batch_id)
            SELECT b.entity_id AS id, b.id AS event_id, b.content_hash IS DISTINCT FROM m.content AS differs
            FROM events b LEFT JOIN members m ON m.batch_id = b.entity_id
            WHERE b.entity_kind = 'contribution-batch' AND b.from_state IS NULL
              AND ($1::bigint IS NULL OR b.consultation_id = $1)
            """,
            "its contributions (their ids or the contents pinned when they were created) are not what event #%@ "
              + "pinned: one was added, deleted or edited outside consult"
          ),
          (
            "contribution",
            """
            SELECT n AS id, b.id AS event_id, true AS differs
            FROM events b CROSS JOIN LATERAL consult_id_runs_members(b.data -> 'contributions') n
            WHERE b.entity_kind = 'contribution-batch' AND b.from_state IS NULL
              AND ($1::bigint IS NULL OR b.consultation_id = $1)
              AND consult_id_runs_valid(b.data -> 'contributions', b.data -> 'rows')
              AND NOT EXISTS (SELECT 1 FROM contributions k
                              WHERE k.id = n AND k.batch_id = b.entity_id AND k.consultation_id = b.consultation_id)
            """, "the import batch event #%@ created it, but it is missing: it was deleted or moved outside consult"
          ),
          // A list of ids that is not what consult writes (runs of numbers covering `rows` ids) is
          // reported without being expanded: a forged run of billions of ids costs nothing.
          (
            "contribution-batch",
            """
            SELECT b.entity_id AS id, b.id AS event_id, true AS differs
            FROM events b
            WHERE b.entity_kind = 'contribution-batch' AND b.from_state IS NULL
              AND ($1::bigint IS NULL OR b.consultation_id = $1)
              AND NOT coalesce(consult_id_runs_valid(b.data -> 'contributions', b.data -> 'rows'), false)
            """, "its event #%@ does not list its contributions as consult writes them: it was edited outside consult"
          ),
          (
            "contribution",
            """
            SELECT k.id, b.id AS event_id, true AS differs
            FROM contributions k
            LEFT JOIN events b ON b.entity_kind = 'contribution-batch' AND b.entity_id = k.batch_id
              AND b.from_state IS NULL
            WHERE k.batch_id IS NOT NULL AND ($1::bigint IS NULL OR k.consultation_id = $1)
              AND (b.id IS NULL OR b.consultation_id IS DISTINCT FROM k.consultation_id
                   OR NOT consult_id_runs_contain(b.data -> 'contributions', k.id))
            """,
            "it is in the import batch of event #%@, which did not create it in this consultation: it was inserted "
              + "or moved outside consult"
          ),
          (
            "proceedings-summary",
            """
            SELECT p.id, e.id AS event_id,
                   e.content_hash IS DISTINCT FROM consult_summary_content(p.title, p.body) AS differs
            FROM proceedings_summaries p
            LEFT JOIN LATERAL (SELECT x.id, x.content_hash FROM events x
                               WHERE x.entity_kind = 'proceedings-summary' AND x.entity_id = p.id
                                 AND x.content_hash IS NOT NULL ORDER BY x.id DESC LIMIT 1) e ON true
            WHERE $1::bigint IS NULL OR p.consultation_id = $1
            """, edited
          ),
          // Drafts (migration 0035): every revision against the event that pinned it.
          (
            "draft",
            """
            SELECT r.draft_id AS id, e.id AS event_id,
                   e.content_hash IS DISTINCT FROM consult_draft_revision_content(r.draft_id, r.revision, r.title, r.body)
                     AS differs
            FROM draft_revisions r JOIN drafts d ON d.id = r.draft_id
            LEFT JOIN LATERAL (SELECT x.id, x.content_hash FROM events x
                               WHERE x.entity_kind = 'draft' AND x.entity_id = r.draft_id AND x.content_hash IS NOT NULL
                                 AND ((x.from_state IS NULL AND r.revision = 1)
                                      OR (x.event IN ('revise-draft', 'erase-personal-data')
                                          AND x.data ->> 'revision' = r.revision::text))
                               ORDER BY x.id DESC LIMIT 1) e ON true
            WHERE $1::bigint IS NULL OR d.consultation_id = $1
            """, "a revision's text or title is not what event #%@ pinned: it was edited outside consult"
          ),
          (
            "draft",
            """
            SELECT d.id, e.id AS event_id, true AS differs
            FROM drafts d CROSS JOIN LATERAL generate_series(1, d.revision) n
            LEFT JOIN LATERAL (SELECT x.id FROM events x
                               WHERE x.entity_kind = 'draft' AND x.entity_id = d.id AND x.content_hash IS NOT NULL
                                 AND ((x.from_state IS NULL AND n = 1)
                                      OR (x.event = 'revise-draft' AND x.data ->> 'revision' = n::text))
                               ORDER BY x.id LIMIT 1) e ON true
            WHERE ($1::bigint IS NULL OR d.consultation_id = $1)
              AND NOT EXISTS (SELECT 1 FROM draft_revisions r WHERE r.draft_id = d.id AND r.revision = n)
            """, "a revision that event #%@ recorded is missing: it was deleted outside consult"
          ),
          (
            "draft",
            """
            SELECT d.id, e.id AS event_id,
                   d.title IS DISTINCT FROM r.title OR d.revision IS DISTINCT FROM r.revision AS differs
            FROM drafts d
            LEFT JOIN LATERAL (SELECT x.title, x.revision FROM draft_revisions x WHERE x.draft_id = d.id
                               ORDER BY x.revision DESC LIMIT 1) r ON true
            LEFT JOIN LATERAL (SELECT x.id FROM events x
                               WHERE x.entity_kind = 'draft' AND x.entity_id = d.id AND x.content_hash IS NOT NULL
                               ORDER BY x.id DESC LIMIT 1) e ON true
            WHERE $1::bigint IS NULL OR d.consultation_id = $1
            """,
            "the draft's title or revision number is not its latest revision's (pinned up to event #%@): it was "
              + "edited outside consult"
          ),
          (
            "draft",
            """
            SELECT e.entity_id AS id, e.id AS event_id, true AS differs
            FROM events e
            WHERE e.entity_kind = 'draft' AND e.event = 'approve-revision'
              AND ($1::bigint IS NULL OR e.consultation_id = $1)
              AND NOT EXISTS (SELECT 1 FROM draft_approvals p WHERE p.event_id = e.id AND p.draft_id = e.entity_id)
            """, "the approval that event #%@ recorded is missing: it was deleted outside consult"
          ),
          (
            "draft",
            """
            SELECT p.draft_id AS id, p.event_id,
                   (e.id IS NULL OR e.data ->> 'stakeholder_id' IS DISTINCT FROM p.stakeholder_id::text
                    OR e.data ->> 'revision' IS DISTINCT FROM p.revision::text
                    OR e.data ->> 'revision_hash' IS DISTINCT FROM encode(p.revision_hash, 'hex')) AS differs
            FROM draft_approvals p JOIN drafts d ON d.id = p.draft_id
            LEFT JOIN events e ON e.id = p.event_id AND e.entity_kind = 'draft' AND e.entity_id = p.draft_id
              AND e.event = 'approve-revision'
            WHERE $1::bigint IS NULL OR d.consultation_id = $1
            """,
            "an approval (approver, revision or its hash) is not what event #%@ recorded: it was edited outside "
              + "consult"
          ),
          (
            "comment",
            """
            SELECT k.id, e.id AS event_id,
                   e.content_hash IS DISTINCT FROM consult_draft_comment_content(
                     k.draft_id, k.revision, k.section, k.quote_exact, k.quote_prefix, k.quote_suffix, k.stakeholder_id,
                     k.attribution, k.comment_type, k.body, k.proposed_change)
                   OR k.response IS DISTINCT FROM (
                     SELECT x.data ->> 'response' FROM events x WHERE x.entity_kind = 'comment' AND x.entity_id = k.id
                       AND x.data ->> 'response' IS NOT NULL ORDER BY x.id DESC LIMIT 1)
                   OR k.resolved_in::text IS DISTINCT FROM (
                     SELECT x.data ->> 'resolved_in' FROM events x WHERE x.entity_kind = 'comment' AND x.entity_id = k.id
                       AND x.data ->> 'resolved_in' IS NOT NULL ORDER BY x.id DESC LIMIT 1) AS differs
            FROM draft_comments k
            LEFT JOIN LATERAL (SELECT x.id, x.content_hash FROM events x
                               WHERE x.entity_kind = 'comment' AND x.entity_id = k.id AND x.content_hash IS NOT NULL
                               ORDER BY x.id DESC LIMIT 1) e ON true
            WHERE $1::bigint IS NULL OR k.consultation_id = $1
            """,
            "the comment (text, quote, commenter, consent, type, proposed change, response or resolving revision) is "
              + "not what its events (up to #%@) recorded: it was edited outside consult"
          ),
          (
            "comment",
            """
            SELECT e.entity_id AS id, e.id AS event_id, true AS differs
            FROM events e
            WHERE e.entity_kind = 'comment' AND e.from_state IS NULL AND ($1::bigint IS NULL OR e.consultation_id = $1)
              AND NOT EXISTS (SELECT 1 FROM draft_comments k WHERE k.id = e.entity_id)
            """, "the comment that event #%@ created is missing: it was deleted outside consult"
          ),
          // Earlier revisions of summaries: each against the event that made it current (its
          // creation for revision 1, else the one whose data names it), or an erasure's re-pin.
          (
            "proceedings-summary",
            """
            SELECT r.summary_id AS id, e.id AS event_id,
                   e.content_hash IS DISTINCT FROM consult_summary_content(r.title, r.body) OR r.revision >= p.revision
                     AS differs
            FROM proceedings_summary_revisions r JOIN proceedings_summaries p ON p.id = r.summary_id
            LEFT JOIN LATERAL (SELECT x.id, x.content_hash FROM events x
                               WHERE x.entity_kind = 'proceedings-summary' AND x.entity_id = r.summary_id
                                 AND x.content_hash IS NOT NULL
                                 AND ((x.from_state IS NULL AND r.revision = 1) OR x.data ->> 'revision' = r.revision::text)
                               ORDER BY x.id DESC LIMIT 1) e ON true
            WHERE ($1::bigint IS NULL OR p.consultation_id = $1) AND (e.id IS NOT NULL OR r.revision >= p.revision)
            """, "an earlier revision (title or text) is not what event #%@ pinned: it was edited outside consult"
          ),
          (
            "proceedings-summary",
            """
            SELECT p.id, NULL::bigint AS event_id, true AS differs
            FROM proceedings_summaries p CROSS JOIN LATERAL generate_series(1, p.revision - 1) n
            WHERE ($1::bigint IS NULL OR p.consultation_id = $1)
              AND NOT EXISTS (SELECT 1 FROM proceedings_summary_revisions r WHERE r.summary_id = p.id AND r.revision = n)
            """, ""
          ),
          // Earlier texts of contributions: each against the latest event whose data pins it
          // (`revision`, `revision_hash`: the 'revise-text' event that kept it, or a redaction's or
          // erasure's re-pin). Rows kept before migration 0020 had no pin and are not checked.
          (
            "contribution",
            """
            SELECT r.contribution_id AS id, e.id AS event_id,
                   e.data ->> 'revision_hash' IS DISTINCT FROM encode(
                     consult_contribution_revision_content(r.contribution_id, r.revision, r.text, r.language, r.reason),
                     'hex') AS differs
            FROM contribution_revisions r JOIN contributions k ON k.id = r.contribution_id
            LEFT JOIN LATERAL (SELECT x.id, x.data FROM events x
                               WHERE x.entity_kind = 'contribution' AND x.entity_id = r.contribution_id
                                 AND x.data ->> 'revision' = r.revision::text AND x.data ? 'revision_hash'
                               ORDER BY x.id DESC LIMIT 1) e ON true
            WHERE ($1::bigint IS NULL OR k.consultation_id = $1)
              AND (e.id IS NOT NULL
                   OR NOT EXISTS (SELECT 1 FROM events x WHERE x.entity_kind = 'contribution' AND x.entity_id = k.id
                                    AND x.event = 'revise-text' AND NOT x.data ? 'revision_hash'))
            """, "an earlier text (revision) is not what event #%@ pinned: it was edited outside consult"
          ),
          (
            "contribution",
            """
            SELECT e.entity_id AS id, e.id AS event_id, true AS differs
            FROM events e
            WHERE e.entity_kind = 'contribution' AND e.event = 'revise-text' AND e.data ? 'revision_hash'
              AND ($1::bigint IS NULL OR e.consultation_id = $1)
              AND NOT EXISTS (SELECT 1 FROM contribution_revisions r
                              WHERE r.contribution_id = e.entity_id AND r.revision::text = e.data ->> 'revision')
            """, "the earlier text (revision) that event #%@ kept is missing: it was deleted outside consult"
          ),
        ] {
          for row in try connection.query(sql, [consultationID]) where try row.decode("differs", as: Bool.self) {
            let eventID = try row.decode("event_id", as: Int64?.self)
            broken.append(
              (
                eventID ?? Int64.max,
                LogDiscrepancy(
                  entityKind: kind, entityID: try row.decode("id"), eventID: eventID,
                  message: eventID == nil
                    ? (what.isEmpty
                      ? "an earlier revision is missing: it was deleted outside consult" : "no event pins its content")
                    : what.replacingOccurrences(of: "%@", with: String(eventID!)))
              ))
          }
        }
        // Redaction rows (migration 0020): each against the 'redact' event that pinned it.
        for row in try connection.query(
          "SELECT contribution_id, event_id, problem FROM consult_redaction_findings($1)", [consultationID])
        {
          let id: Int64 = try row.decode("event_id")
          broken.append(
            (
              id,
              LogDiscrepancy(
                entityKind: "contribution", entityID: try row.decode("contribution_id"), eventID: id,
                message: try row.decode("problem"))
            ))
        }
        // An erasure's rewrites of events are pinned by its consultation's erasure event (migration 0020).
        for row in try connection.query(
          """
          SELECT id, entity_kind, entity_id FROM events
          WHERE event = 'erase-personal-data' AND entity_kind IN ('consultation', 'stakeholder')
            AND content_hash IS DISTINCT FROM consult_event_redactions_content(id)
            AND ($1::bigint IS NULL OR consultation_id = $1)
          """, [consultationID])
        {
          let id: Int64 = try row.decode("id")
          broken.append(
            (
              id,
              LogDiscrepancy(
                entityKind: try row.decode("entity_kind"), entityID: try row.decode("entity_id"), eventID: id,
                message: "the events an erasure rewrote are not what event #\(id) pinned: its redaction records "
                  + "were changed")
            ))
        }
        // Every sanctioned rewrite is shown, never silent: which erasure rewrote how many events,
        // and how many of them a digest had pinned as they were before.
        let erasures = try connection.query(
          """
          SELECT x.id, x.occurred_at, a.handle AS actor, count(r.event_id) AS rewritten,
                 count(r.event_id) FILTER (WHERE r.event_id <= $2) AS pinned
          FROM events x
          LEFT JOIN actors a ON a.id = x.actor_id
          LEFT JOIN event_redactions r ON r.erasure_event_id = x.id
          WHERE x.event = 'erase-personal-data' AND x.entity_kind IN ('consultation', 'stakeholder')
            AND ($1::bigint IS NULL OR x.consultation_id = $1)
          GROUP BY x.id, x.occurred_at, a.handle
          HAVING count(r.event_id) > 0
          ORDER BY x.id
          """, [consultationID, digest?.cutoff ?? 0]
        ).map { row in
          ErasureRewrite(
            eventID: try row.decode("id"),
            occurredAt: try row.decode("occurred_at", as: PostgresTimestamp.self).date,
            actor: try row.decode("actor", as: String?.self), eventsRewritten: try row.decode("rewritten"),
            pinnedByDigest: digest == nil ? 0 : try row.decode("pinned"))
        }
        var matches: Bool?
        if let digest {
          let scope = Self.digestScope(consultationID)
          let now: String = try connection.query(scope.digest, scope.parameters + [digest.cutoff]).rows[0].decode("d")
          matches = now == digest.hex
        }
        return LogVerification(
          replay: replay, eventsHashed: hashed,
          brokenLinks: broken.sorted { ($0.0, $0.1.entityKind, $0.1.entityID) < ($1.0, $1.1.entityKind, $1.1.entityID) }
            .map(\.1),
          digestMatches: matches, digest: digest?.description, erasures: erasures)
      }
    }
  }

  /// The consultation's record digest as it stands (or, without a consultation, the stakeholder
  /// register's, migration 0016): the newest event's id and the SHA-256 of its chain heads as of
  /// that event (``RecordDigest``). Writers that were still running when it was read, and could yet
  /// add events below that id, are waited for (up to 30 s), so the digest can be reproduced later
  /// by ``verifyLog(of:digest:)``.
  ///
  /// - Parameter slug: The consultation; nil for the stakeholder register.
  /// - Returns: The digest.
  /// - Throws: ``StoreError`` (`.notFound`; `.conflict` when a writer begun before it is still
  ///   running after 30 s, e.g. a long import: try again when it has finished).
  public func recordDigest(of slug: String?) throws -> RecordDigest {
    try translatingErrors("record digest of \(slug ?? "the stakeholder register")") {
      let consultationID = try slug.map { try consultation($0).id }
      let scope = Self.digestScope(consultationID)
      for _ in 0..<5 {
        let (digest, count, running) = try connection.withTransaction(isolation: .repeatableRead) {
          () throws -> (RecordDigest, Int, [String]) in
          let cutoff: Int64 = try connection.query(scope.cutoff, scope.parameters).rows[0].decode("c")
          let hex: String = try connection.query(scope.digest, scope.parameters + [cutoff]).rows[0].decode("d")
          let count: Int = try connection.query(scope.count, scope.parameters + [cutoff]).rows[0].decode("n")
          let running = try connection.query(
            "SELECT x::text AS x FROM pg_snapshot_xip(pg_current_snapshot()) x"
          ).map { try $0.decode("x", as: String.self) }
          return (RecordDigest(cutoff: cutoff, hex: hex), count, running)
        }
        let deadline = Date().addingTimeInterval(30)
        while !running.isEmpty {
          let stillRunning: Bool = try connection.query(
            "SELECT coalesce(bool_or(pg_xact_status(x::xid8) = 'in progress'), false) AS r FROM unnest($1::text[]) x",
            [PostgresTextArray(running)]
          ).rows[0].decode("r")
          if !stillRunning { break }
          if Date() > deadline {
            throw StoreError(
              .conflict,
              "a write begun before the digest was read is still running (an import?); try again when it has finished")
          }
          usleep(50_000)
        }
        let now: Int = try connection.query(scope.count, scope.parameters + [digest.cutoff]).rows[0].decode("n")
        if now == count { return digest }
      }
      throw StoreError(.conflict, "the record kept changing under the digest; try again")
    }
  }

  /// The statements that read a digest's cutoff, digest and event count: of one consultation
  /// (`$1` its id, migration 0012) or, for nil, of the stakeholder register (migration 0016). The
  /// cutoff and digest's last parameter is the cutoff.
  static func digestScope(_ consultationID: Int64?) -> (
    cutoff: String, digest: String, count: String, parameters: [Int64]
  ) {
    guard let consultationID else {
      return (
        "SELECT coalesce(max(id), 0) AS c FROM events WHERE entity_kind = 'stakeholder'",
        "SELECT encode(consult_register_digest($1), 'hex') AS d",
        "SELECT count(*) AS n FROM events WHERE entity_kind = 'stakeholder' AND id <= $1", []
      )
    }
    return (
      "SELECT coalesce(max(id), 0) AS c FROM events WHERE consultation_id = $1",
      "SELECT encode(consult_record_digest($1, $2), 'hex') AS d",
      "SELECT count(*) AS n FROM events WHERE consultation_id = $1 AND id <= $2", [consultationID]
    )
  }
}
