import ConsultCore
import Foundation
import Postgres

/// One contribution found by ``ConsultStore/searchContributions(in:query:limit:)``.
public struct SearchHit: Sendable, Equatable, Encodable {
  /// Database id.
  public let id: Int64
  /// Theme key, if tagged.
  public let theme: String?
  /// Language tag, if known.
  public let language: String?
  /// The text-search configuration the text was indexed and the query parsed with, e.g. `english`.
  public let configuration: String
  /// `ts_rank` of the text for the query (higher is better).
  public let rank: Double
  /// The matching passage with the query's words between « and » (`ts_headline`);
  /// nil when the contribution is `not-for-publication`.
  public let snippet: String?
}

/// What ``ConsultStore/tagContributions(in:query:theme:dryRun:actor:)`` did (or would do).
public struct TagReport: Sendable, Equatable, Encodable {
  /// The theme set.
  public let theme: String
  /// Contributions matching the query.
  public let matched: Int
  /// Matches whose theme was set now (or would be, in a dry run): untagged ones and retagged ones.
  public let tagged: Int
  /// Of ``tagged``, those that had another theme before.
  public let retagged: Int
  /// Matches that already had this theme; unchanged.
  public let unchanged: Int
  /// Nothing was written.
  public let dryRun: Bool
}

extension ConsultStore {
  /// The longest search query accepted, in characters.
  public static let maximumSearchQueryLength = 1_000

  /// Full-text search over a consultation's contributions (PostgreSQL docs ch. 12).
  ///
  /// Each contribution's stored `search_vector` was built with the text-search
  /// configuration of its language (`consult_text_search_config`: `en` → english,
  /// `de` → german, …; unknown → simple). The query is parsed by `websearch_to_tsquery`
  /// (§12.3.2: quoted phrases, `or`, `-word`) once per configuration in use, with that
  /// same configuration, and matched only against texts of that configuration — so
  /// "farms" finds "farming" in English texts, and a German query is stemmed as German
  /// texts are. Each configuration is searched through the GIN index on `search_vector`.
  /// Hits are ranked by `ts_rank` (§12.3.3), best first, then by id; snippets come
  /// from `ts_headline` (§12.3.4), computed for the returned rows only.
  ///
  /// - Parameters:
  ///   - slug: The consultation.
  ///   - query: What to look for, in web-search syntax.
  ///   - limit: At most this many hits; nil for all.
  /// - Returns: The hits, best first.
  /// - Throws: ``StoreError`` (`.invalidInput` for an empty or over-long query; `.notFound`).
  public func searchContributions(in slug: String, query: String, limit: Int? = 20) throws -> [SearchHit] {
    let query = try Self.validatedSearchQuery(query)
    if let limit, limit < 1 { throw StoreError(.invalidInput, "the limit must be at least 1") }
    return try translatingErrors("search in \(slug)") {
      let consultation = try consultation(slug)
      return try connection.query(
        """
        WITH hits AS (
          SELECT k.id, k.theme, k.language, k.attribution, k.text, g.cfg, ts_rank(k.search_vector, g.q) AS rank, g.q
          FROM (SELECT cfg, websearch_to_tsquery(cfg, $2) AS q
                FROM (SELECT DISTINCT consult_text_search_config(language) AS cfg
                      FROM contributions WHERE consultation_id = $1) c) g
          CROSS JOIN LATERAL (
            SELECT * FROM contributions k
            WHERE k.consultation_id = $1 AND k.search_vector @@ g.q AND consult_text_search_config(k.language) = g.cfg
          ) k
          ORDER BY rank DESC, k.id LIMIT $3
        )
        SELECT id, theme, language, cfg::text AS configuration, rank::float8 AS rank,
               CASE WHEN attribution <> 'not-for-publication' THEN
                 ts_headline(cfg, text, q, 'StartSel=«, StopSel=», MaxWords=25, MinWords=10, MaxFragments=2')
               END AS snippet
        FROM hits ORDER BY rank DESC, id
        """, [consultation.id, query, limit]
      ).map { row in
        SearchHit(
          id: try row.decode("id"), theme: try row.decode("theme", as: String?.self),
          language: try row.decode("language", as: String?.self), configuration: try row.decode("configuration"),
          rank: try row.decode("rank"), snippet: try row.decode("snippet", as: String?.self))
      }
    }
  }

  /// Sets a theme on every contribution of a consultation matching a full-text search,
  /// in one transaction.
  ///
  /// Matches are found exactly as ``searchContributions(in:query:limit:)`` finds them
  /// (without a limit). Tagging is not a workflow transition, so nothing goes into the
  /// event log and no version is bumped; instead each contribution whose theme changes
  /// gets one row in the `contribution_tags` audit table (old theme, new theme, the
  /// query, actor, time). Matches that already have the theme are left alone; ones with
  /// another theme are retagged.
  ///
  /// - Parameters:
  ///   - slug: The consultation.
  ///   - query: The search, in web-search syntax.
  ///   - theme: A theme key of the consultation.
  ///   - dryRun: Only count; write nothing.
  ///   - actor: Who tagged.
  ///   - time: When, to record the past; nil: now. Each retagged contribution gets a `tag` record
  ///     event (its old and new theme and the query in the data).
  /// - Returns: The counts.
  /// - Throws: ``StoreError`` (`.invalidInput` for an unknown theme, listing the known
  ///   ones, or an empty query; `.notFound`).
  public func tagContributions(
    in slug: String, query: String, theme: String, dryRun: Bool = false, actor: String, at time: Date? = nil
  ) throws -> TagReport {
    let query = try Self.validatedSearchQuery(query)
    return try transaction("tagging in \(slug)") {
      let consultation = try consultation(slug)
      try Self.requireOpen(
        state: consultation.state,
        of: try workflow(name: consultation.workflowName, version: consultation.workflowVersion),
        doing: "tagging its contributions")
      try requireTheme(theme, in: consultation)
      try connection.execute(
        "CREATE TEMPORARY TABLE consult_tag_matches (id bigint PRIMARY KEY, theme text) ON COMMIT DROP")
      try connection.execute(
        """
        INSERT INTO consult_tag_matches (id, theme)
        SELECT k.id, k.theme
        FROM (SELECT DISTINCT consult_text_search_config(language) AS cfg
              FROM contributions WHERE consultation_id = $1) g
        JOIN contributions k ON k.consultation_id = $1 AND consult_text_search_config(k.language) = g.cfg
          AND k.search_vector @@ websearch_to_tsquery(g.cfg, $2)
        """, [consultation.id, query])
      let counts = try connection.query(
        """
        SELECT count(*) AS matched, count(*) FILTER (WHERE theme IS DISTINCT FROM $1) AS tagged,
               count(*) FILTER (WHERE theme IS NOT NULL AND theme <> $1) AS retagged
        FROM consult_tag_matches
        """, [theme]
      ).rows[0]
      let matched: Int = try counts.decode("matched")
      let tagged: Int = try counts.decode("tagged")
      let retagged: Int = try counts.decode("retagged")
      if !dryRun && tagged > 0 {
        try connection.execute(
          """
          WITH who AS (SELECT consult_actor($4) AS id), changed AS (
            UPDATE contributions k SET theme = $2, version = k.version + 1 FROM consult_tag_matches m
            WHERE k.id = m.id AND m.theme IS DISTINCT FROM $2
            RETURNING k.id, k.state, m.theme AS from_theme
          ), kept AS (
            INSERT INTO contribution_tags (consultation_id, contribution_id, from_theme, to_theme, search_query,
                                           actor_id, tagged_at)
            SELECT $1, changed.id, from_theme, $2, $3, who.id, coalesce($5::timestamptz, clock_timestamp())
            FROM changed CROSS JOIN who ORDER BY changed.id
          )
          INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id, reason,
                              workflow_name, workflow_version, occurred_at, data)
          SELECT $1, 'contribution', changed.id, $6, state, state, who.id, 'search: ' || $3, $7, $8,
                 coalesce($5::timestamptz, clock_timestamp()),
                 jsonb_build_object('from_theme', from_theme, 'to_theme', $2, 'search_query', $3)
          FROM changed CROSS JOIN who ORDER BY changed.id
          """,
          [
            consultation.id, theme, query, actor, time.map(PostgresTimestamp.init), RecordEvent.tagged,
            consultation.workflowName, consultation.workflowVersion,
          ])
      }
      return TagReport(
        theme: theme, matched: matched, tagged: tagged, retagged: retagged, unchanged: matched - tagged,
        dryRun: dryRun)
    }
  }

  /// The query trimmed; refused when empty, over-long or holding a NUL byte.
  private static func validatedSearchQuery(_ query: String) throws -> String {
    let trimmed = query.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !trimmed.isEmpty else { throw StoreError(.invalidInput, "the search query is empty") }
    guard trimmed.count <= maximumSearchQueryLength else {
      throw StoreError(
        .invalidInput, "the search query is longer than \(Phrasing.counted(maximumSearchQueryLength, "character"))")
    }
    guard !trimmed.contains("\u{0}") else { throw StoreError(.invalidInput, "the search query contains a NUL byte") }
    return trimmed
  }
}
