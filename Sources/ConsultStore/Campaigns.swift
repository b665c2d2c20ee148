import Foundation
import Postgres

/// A campaign: written submissions of one consultation that send the same form letter.
///
/// Exact campaigns share a fingerprint: the md5 of the text normalised by the SQL
/// function `consult_normalise_text` (migration `0002_campaigns_and_search.sql`: Unicode
/// NFKC, lower case, HTML entities decoded, a trailing "Re: …" line removed, punctuation
/// removed, whitespace collapsed). Texts that are only an attachment placeholder ("See
/// attached file(s)") have no fingerprint and never form a campaign. Near campaigns also
/// join texts that are similar (MinHash and LSH, see
/// ``ConsultStore/campaigns(in:minSize:near:)``).
public struct Campaign: Sendable, Equatable, Encodable {
  /// How the members were grouped.
  public enum Kind: String, Sendable, Encodable, CaseIterable {
    /// Every member has the same normalised text.
    case exact
    /// The members' normalised texts differ but are similar (estimated Jaccard similarity of their
    /// shingles ≥ ``NearDuplicateGrouping/threshold``).
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
  /// Length of a campaign's excerpt, in characters.
  public static let campaignExcerptLength = 100

  /// The campaigns among a consultation's written submissions, largest first (then earliest).
  ///
  /// Exact campaigns are groups of at least `minSize` written submissions sharing the
  /// stored `fingerprint` (read through the `(consultation_id, fingerprint)` index).
  ///
  /// With `near`, the distinct texts (one per fingerprint) are also grouped by similarity,
  /// wherever the texts differ (start, end, middle, both ends): ``NearDuplicateGrouping``
  /// (MinHash signatures of word 3-grams, 21 LSH bands of 3 bins, joined at an estimated
  /// Jaccard similarity ≥ 0.45). A campaign whose members all share one fingerprint stays `exact`;
  /// one joining several is `near`.
  ///
  /// Cost: exact campaigns are one indexed aggregate. Near campaigns read each distinct text once
  /// (a cursor) and compare it with at most 21 others: linear in the number of distinct texts;
  /// memory about 200 bytes per distinct text.
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
    let grouped = try nearGroups(consultationID: consultationID)
    var members: [Int: [Int]] = [:]
    for (index, root) in grouped.roots.enumerated() { members[root, default: []].append(index) }
    var found: [(kind: Campaign.Kind, size: Int, distinct: Int, first: Int)] = []
    for group in members.values {
      let size = group.reduce(0) { $0 + grouped.texts[$1].size }
      guard size >= minSize,
        let first = group.min(by: {
          (grouped.texts[$0].firstReceivedAt, grouped.texts[$0].firstID)
            < (grouped.texts[$1].firstReceivedAt, grouped.texts[$1].firstID)
        })
      else { continue }
      found.append((group.count == 1 ? .exact : .near, size, group.count, first))
    }
    // The earliest members' texts, for the excerpts: one query for all campaigns.
    let ids = found.map { grouped.texts[$0.first].firstID }
    var heads: [Int64: (head: String, attribution: String)] = [:]
    for row in try connection.query(
      "SELECT id, left(text, 400) AS head, attribution FROM contributions WHERE id = ANY($1::bigint[])",
      [PostgresTextArray(ids.map(String.init))])
    {
      heads[try row.decode("id")] = (try row.decode("head"), try row.decode("attribution"))
    }
    return found.map { campaign in
      let first = grouped.texts[campaign.first]
      let head = heads[first.firstID]
      return Campaign(
        kind: campaign.kind, size: campaign.size, distinctTexts: campaign.distinct, firstContributionID: first.firstID,
        firstReceivedAt: Date(timeIntervalSince1970: first.firstReceivedAt),
        excerpt: head.flatMap { Self.excerpt($0.head, attribution: $0.attribution) })
    }.sorted(by: Self.campaignOrder)
  }

  /// One row per distinct text (fingerprint) of a consultation's written submissions, most-sent
  /// first (then earliest), grouped by ``NearDuplicateGrouping``; read through a cursor 5,000
  /// texts at a time, inside the caller's transaction. Memory: about 200 bytes per distinct text
  /// (its signature, fingerprint and counts), never the texts themselves.
  func nearGroups(consultationID: Int64) throws -> (texts: [NearText], roots: [Int]) {
    try connection.execute(
      """
      DECLARE consult_near_texts NO SCROLL CURSOR FOR
      WITH firsts AS (
        SELECT DISTINCT ON (fingerprint) fingerprint, id, count(*) OVER (PARTITION BY fingerprint) AS size
        FROM contributions
        WHERE consultation_id = \(consultationID) AND kind = 'written-submission' AND fingerprint IS NOT NULL
        ORDER BY fingerprint, received_at, id
      )
      SELECT f.fingerprint, f.size, k.id, extract(epoch FROM k.received_at)::float8 AS received, k.text
      FROM firsts f JOIN contributions k ON k.id = f.id
      ORDER BY f.size DESC, k.received_at, k.id
      """)
    var texts: [NearText] = []
    var grouping = NearDuplicateGrouping()
    while true {
      let rows = try connection.query("FETCH 5000 FROM consult_near_texts")
      if rows.isEmpty { break }
      for row in rows {
        texts.append(
          NearText(
            fingerprint: try row.decode("fingerprint"), size: try row.decode("size"), firstID: try row.decode("id"),
            firstReceivedAt: try row.decode("received")))
        grouping.add(try row.decode("text"))
      }
    }
    try connection.execute("CLOSE consult_near_texts")
    return (texts, grouping.groups())
  }

  /// The campaign of each fingerprint of a consultation's written submissions that belongs to one
  /// (of at least 2 submissions): exact campaigns, or with `near` the groups of
  /// ``campaigns(in:minSize:near:)``, each named by the fingerprint of its most-sent text. For
  /// measuring the grouping against a known truth (`consult-bench near`, Benchmarks/import.sh).
  ///
  /// - Returns: Fingerprint → the fingerprint naming its campaign; fingerprints in no campaign
  ///   are absent.
  /// - Throws: ``StoreError`` (`.notFound`).
  public func campaignOfFingerprint(in slug: String, near: Bool) throws -> [String: String] {
    try transaction("campaigns of \(slug)") {
      let consultationID = try consultation(slug).id
      if !near {
        var result: [String: String] = [:]
        for row in try connection.query(
          """
          SELECT fingerprint FROM contributions
          WHERE consultation_id = $1 AND kind = 'written-submission' AND fingerprint IS NOT NULL
          GROUP BY fingerprint HAVING count(*) >= 2
          """, [consultationID])
        {
          let fingerprint: String = try row.decode("fingerprint")
          result[fingerprint] = fingerprint
        }
        return result
      }
      let grouped = try nearGroups(consultationID: consultationID)
      var sizes: [Int: Int] = [:]
      var named: [Int: Int] = [:]
      for (index, root) in grouped.roots.enumerated() {
        sizes[root, default: 0] += grouped.texts[index].size
        if named[root] == nil { named[root] = index }  // most-sent first
      }
      var result: [String: String] = [:]
      for (index, root) in grouped.roots.enumerated() where sizes[root, default: 0] >= 2 {
        result[grouped.texts[index].fingerprint] = grouped.texts[named[root]!].fingerprint
      }
      return result
    }
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

/// One distinct text (fingerprint) while near campaigns are built.
struct NearText {
  /// Its fingerprint.
  let fingerprint: String
  /// How many written submissions send it.
  let size: Int
  /// The earliest of them.
  let firstID: Int64
  /// When that one was received (seconds since 1970, UTC).
  let firstReceivedAt: Double
}
