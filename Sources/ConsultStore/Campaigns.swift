import Foundation
import Postgres

/// A campaign: written submissions of one consultation that send the same form letter.
///
/// Exact campaigns share a fingerprint: the md5 of the text normalised by the SQL
/// function `consult_normalise_text` (migration `0002_campaigns_and_search.sql`: Unicode
/// NFKC, lower case, HTML entities decoded, a trailing "Re: …" line removed, punctuation
/// removed, whitespace collapsed). Texts that are only an attachment placeholder ("See
/// attached file(s)") have no fingerprint and never form a campaign. Near campaigns also
/// join texts whose normalised forms are similar (see
/// ``ConsultStore/campaigns(in:minSize:near:)``).
public struct Campaign: Sendable, Equatable, Encodable {
  /// How the members were grouped.
  public enum Kind: String, Sendable, Encodable, CaseIterable {
    /// Every member has the same normalised text.
    case exact
    /// The members' normalised texts differ but are similar (pg_trgm similarity ≥ the threshold).
    case near
  }
  /// Exact or near.
  public let kind: Kind
  /// Number of contributions in the campaign (≥ 2).
  public let size: Int
  /// Number of different normalised texts among them (1 for an exact campaign).
  public let distinctTexts: Int
  /// The earliest member (by received time, then id).
  public let firstContributionID: Int64
  /// When the earliest member was received (UTC).
  public let firstReceivedAt: Date
  /// The first ``ConsultStore/campaignExcerptLength`` characters of the earliest member's text,
  /// whitespace collapsed; nil when its attribution is `not-for-publication`.
  public let excerpt: String?
}

/// A campaign as a proceedings summary counts it: once, with its size.
public struct CampaignSummary: Sendable, Equatable, Encodable {
  /// Number of written submissions in the campaign.
  public let size: Int
  /// Exact or near duplicates.
  public let kind: Campaign.Kind
  /// The earliest member's text excerpt, nil when it is not for publication.
  public let excerpt: String?

  /// Summarises a campaign.
  /// - Parameter campaign: The campaign found by ``ConsultStore/campaigns(in:minSize:near:)``.
  public init(_ campaign: Campaign) {
    size = campaign.size
    kind = campaign.kind
    excerpt = campaign.excerpt
  }
}

extension ConsultStore {
  /// The pg_trgm similarity (PostgreSQL docs Appendix F.35, `similarity()`: shared
  /// trigrams over all trigrams of the two texts) at or above which two normalised texts
  /// are near-duplicates. At 0.8 the regulations.gov form letter "Please reinstate work
  /// requirements for food stamps and support conservative waiver reform." and its variants
  /// without "please" or "and", or with a sentence added, group together, while two different
  /// sentences on the same subject (similarity around 0.5) do not.
  public static let nearDuplicateThreshold = 0.8

  /// The length, in characters of the normalised text, of the two blocking keys of the
  /// near-duplicate search: texts are compared only within a block of texts that begin, or
  /// end, with the same this many characters (a form letter with a sentence added keeps the
  /// letter's beginning, or its end when the sentence comes first).
  public static let nearDuplicateBlockKeyLength = 40

  /// How many representatives each block has: its texts sent most often (then the earliest).
  /// Every text of the block is compared with each of them, so a chain of variants (A like B,
  /// B like C) is still found when B is among them; the work stays linear in the number of texts.
  public static let nearDuplicateRepresentatives = 8

  /// Length of a campaign's excerpt, in characters.
  public static let campaignExcerptLength = 100

  /// The campaigns among a consultation's written submissions, largest first (then earliest).
  ///
  /// Exact campaigns are groups of at least `minSize` written submissions sharing the
  /// stored `fingerprint` (read through the `(consultation_id, fingerprint)` index).
  ///
  /// With `near`, texts are also grouped by similarity, by blocking: one row per distinct
  /// fingerprint (its normalised text) goes into a temporary table; the texts that begin with
  /// the same ``nearDuplicateBlockKeyLength`` characters form a block, and so do those that
  /// end with the same ones. In each block the representatives are the
  /// ``nearDuplicateRepresentatives`` texts sent most often (then the earliest), and every
  /// other text of the block is linked to each representative whose pg_trgm similarity
  /// (PostgreSQL docs F.35) with it is at least ``nearDuplicateThreshold``. The
  /// campaigns are the connected components of these links, computed here with a union-find.
  /// A campaign whose members all share one fingerprint stays `exact`; one joining several is
  /// `near`. Two texts that differ at both ends (a sentence added before and after the letter)
  /// are not found; that is the price of never comparing all pairs.
  ///
  /// Cost: exact campaigns are one indexed aggregate. Near campaigns compare each distinct
  /// text with at most 2 × ``nearDuplicateRepresentatives`` representatives: linear in the
  /// number of distinct texts.
  ///
  /// - Parameters:
  ///   - slug: The consultation.
  ///   - minSize: The smallest campaign to list (at least 2).
  ///   - near: Also group near-duplicates.
  /// - Returns: The campaigns; memory grows with the number of texts that belong to one.
  /// - Throws: ``StoreError`` (`.notFound`; `.invalidInput` when `minSize` < 2).
  public func campaigns(in slug: String, minSize: Int = 2, near: Bool = false) throws -> [Campaign] {
    guard minSize >= 2 else {
      throw StoreError(.invalidInput, "a campaign has at least 2 contributions (--min-size \(minSize))")
    }
    return try transaction("campaigns of \(slug)") {
      try campaigns(consultationID: try consultation(slug).id, minSize: minSize, near: near)
    }
  }

  /// The campaigns of a consultation, inside the caller's transaction; see
  /// ``campaigns(in:minSize:near:)``.
  func campaigns(consultationID: Int64, minSize: Int, near: Bool) throws -> [Campaign] {
    near
      ? try nearCampaigns(consultationID: consultationID, minSize: minSize)
      : try exactCampaigns(consultationID: consultationID, minSize: minSize)
  }

  private func exactCampaigns(consultationID: Int64, minSize: Int) throws -> [Campaign] {
    let rows = try connection.query(
      """
      WITH groups AS (
        SELECT fingerprint, count(*) AS size FROM contributions
        WHERE consultation_id = $1 AND kind = 'written-submission' AND fingerprint IS NOT NULL
        GROUP BY fingerprint HAVING count(*) >= $2
      )
      SELECT g.size, f.id, f.received_at, f.attribution, f.head
      FROM groups g CROSS JOIN LATERAL (
        SELECT k.id, k.received_at, k.attribution, left(k.text, 400) AS head FROM contributions k
        WHERE k.consultation_id = $1 AND k.fingerprint = g.fingerprint AND k.kind = 'written-submission'
        ORDER BY k.received_at, k.id LIMIT 1
      ) f
      """, [consultationID, minSize])
    return try rows.map { row in
      Campaign(
        kind: .exact, size: try row.decode("size"), distinctTexts: 1, firstContributionID: try row.decode("id"),
        firstReceivedAt: try row.decode("received_at", as: PostgresTimestamp.self).date,
        excerpt: Self.excerpt(try row.decode("head"), attribution: try row.decode("attribution")))
    }.sorted(by: Self.campaignOrder)
  }

  private func nearCampaigns(consultationID: Int64, minSize: Int) throws -> [Campaign] {
    try connection.execute("DROP TABLE IF EXISTS pg_temp.consult_campaign_texts, pg_temp.consult_campaign_pairs")
    try connection.execute(
      """
      CREATE TEMPORARY TABLE consult_campaign_texts (
        fingerprint text PRIMARY KEY, size integer NOT NULL, first_id bigint NOT NULL,
        first_received_at timestamptz NOT NULL, attribution text NOT NULL, head text NOT NULL, norm text NOT NULL
      ) ON COMMIT DROP
      """)
    // One row per distinct text: its count and earliest member.
    try connection.execute(
      """
      INSERT INTO consult_campaign_texts
      SELECT f.fingerprint, f.size, k.id, k.received_at, k.attribution, left(k.text, 400),
             consult_normalise_text(k.text)
      FROM (SELECT DISTINCT ON (fingerprint) fingerprint, id, count(*) OVER (PARTITION BY fingerprint) AS size
            FROM contributions
            WHERE consultation_id = $1 AND kind = 'written-submission' AND fingerprint IS NOT NULL
            ORDER BY fingerprint, received_at, id) f
      JOIN contributions k ON k.id = f.id
      """, [consultationID])
    try connection.execute(
      "CREATE TEMPORARY TABLE consult_campaign_pairs (a text NOT NULL, b text NOT NULL) ON COMMIT DROP")
    // Link every text to its block's representative when similar enough: blocks by the
    // beginning, then by the end, of the normalised text (fixed statements; every value a parameter).
    for sql in [
      """
      INSERT INTO consult_campaign_pairs (a, b)
      SELECT r.fingerprint, t.fingerprint
      FROM (SELECT block, fingerprint, norm FROM (
              SELECT left(norm, $1) AS block, fingerprint, norm,
                     row_number() OVER (PARTITION BY left(norm, $1)
                                        ORDER BY size DESC, first_received_at, fingerprint) AS rank
              FROM consult_campaign_texts) ranked WHERE rank <= $3) r
      JOIN consult_campaign_texts t ON left(t.norm, $1) = r.block AND t.fingerprint <> r.fingerprint
      WHERE similarity(r.norm, t.norm) >= $2
      """,
      """
      INSERT INTO consult_campaign_pairs (a, b)
      SELECT r.fingerprint, t.fingerprint
      FROM (SELECT block, fingerprint, norm FROM (
              SELECT right(norm, $1) AS block, fingerprint, norm,
                     row_number() OVER (PARTITION BY right(norm, $1)
                                        ORDER BY size DESC, first_received_at, fingerprint) AS rank
              FROM consult_campaign_texts) ranked WHERE rank <= $3) r
      JOIN consult_campaign_texts t ON right(t.norm, $1) = r.block AND t.fingerprint <> r.fingerprint
      WHERE similarity(r.norm, t.norm) >= $2
      """,
    ] {
      try connection.execute(
        sql, [Self.nearDuplicateBlockKeyLength, Self.nearDuplicateThreshold, Self.nearDuplicateRepresentatives])
    }
    let pairs = try connection.query("SELECT a, b FROM consult_campaign_pairs").map {
      (try $0.decode("a", as: String.self), try $0.decode("b", as: String.self))
    }
    // Every text that is linked, or is an exact campaign by itself.
    let texts = try connection.query(
      """
      SELECT fingerprint, size, first_id, first_received_at, attribution, head FROM consult_campaign_texts
      WHERE size >= 2 OR fingerprint IN (SELECT a FROM consult_campaign_pairs UNION SELECT b FROM consult_campaign_pairs)
      """
    ).map { row in
      CampaignText(
        fingerprint: try row.decode("fingerprint"), size: try row.decode("size"), firstID: try row.decode("first_id"),
        firstReceivedAt: try row.decode("first_received_at", as: PostgresTimestamp.self).date,
        attribution: try row.decode("attribution"), head: try row.decode("head"))
    }
    try connection.execute("DROP TABLE consult_campaign_texts, consult_campaign_pairs")

    var components = UnionFind(texts.map(\.fingerprint))
    for (a, b) in pairs { components.union(a, b) }
    var groups: [String: [CampaignText]] = [:]
    for text in texts { groups[components.find(text.fingerprint), default: []].append(text) }
    return groups.values.compactMap { members -> Campaign? in
      let size = members.reduce(0) { $0 + $1.size }
      guard size >= minSize,
        let first = members.min(by: { ($0.firstReceivedAt, $0.firstID) < ($1.firstReceivedAt, $1.firstID) })
      else { return nil }
      return Campaign(
        kind: members.count == 1 ? .exact : .near, size: size, distinctTexts: members.count,
        firstContributionID: first.firstID, firstReceivedAt: first.firstReceivedAt,
        excerpt: Self.excerpt(first.head, attribution: first.attribution))
    }.sorted(by: Self.campaignOrder)
  }

  /// Largest first, then earliest, then lowest id.
  private static func campaignOrder(_ a: Campaign, _ b: Campaign) -> Bool {
    (-a.size, a.firstReceivedAt, a.firstContributionID) < (-b.size, b.firstReceivedAt, b.firstContributionID)
  }

  /// The publishable excerpt of a text: whitespace collapsed, at most ``campaignExcerptLength``
  /// characters; nil for `not-for-publication`.
  static func excerpt(_ text: String, attribution: String) -> String? {
    guard Contribution.Attribution(rawValue: attribution) != .notForPublication else { return nil }
    let words = text.split(whereSeparator: { $0.isWhitespace || $0.isNewline })
    return wordExcerpt(words.joined(separator: " "), limit: campaignExcerptLength)
  }

  /// `text` cut to at most `limit` characters at a word boundary, with "…" when something was cut
  /// (a single word longer than the limit is cut inside it).
  ///
  /// - Parameters:
  ///   - text: One line of text (whitespace already collapsed).
  ///   - limit: The most characters to keep, the ellipsis not counted.
  /// - Returns: The excerpt.
  static func wordExcerpt(_ text: String, limit: Int) -> String {
    guard text.count > limit else { return text }
    let head = text.prefix(limit + 1)
    if let space = head.lastIndex(of: " "), space > head.startIndex {
      var kept = head[..<space]
      while let last = kept.last, last.isWhitespace || (last.isPunctuation && last != ")") { kept.removeLast() }
      return String(kept) + "…"
    }
    return String(text.prefix(limit)) + "…"
  }
}

/// One distinct normalised text while near campaigns are built.
private struct CampaignText {
  let fingerprint: String
  let size: Int
  let firstID: Int64
  let firstReceivedAt: Date
  let attribution: String
  let head: String
}

/// Disjoint sets over strings with path halving and union by size.
private struct UnionFind {
  private var parent: [String: String] = [:]
  private var weight: [String: Int] = [:]

  init(_ elements: [String]) {
    for element in elements {
      parent[element] = element
      weight[element] = 1
    }
  }

  mutating func find(_ element: String) -> String {
    if parent[element] == nil {
      parent[element] = element
      weight[element] = 1
    }
    var current = element
    while let next = parent[current], next != current {
      let grand = parent[next] ?? next
      parent[current] = grand
      current = grand
    }
    return current
  }

  mutating func union(_ a: String, _ b: String) {
    let rootA = find(a)
    let rootB = find(b)
    guard rootA != rootB else { return }
    let (small, large) = weight[rootA, default: 1] < weight[rootB, default: 1] ? (rootA, rootB) : (rootB, rootA)
    parent[small] = large
    weight[large, default: 1] += weight[small, default: 1]
  }
}
