import Foundation
import Postgres

/// Facts that may point at an organised or automated campaign among a consultation's written
/// submissions: bursts (many submissions received in one second or one minute), one sender or
/// one name behind many submissions, and campaigns whose members arrive in bursts. Counts for
/// the analyst, never a verdict; no person's name, e-mail address or author key appears (people
/// are counted, never named), so they may be shown wherever the campaigns may.
public struct CampaignSignals: Sendable, Equatable, Encodable {
  /// Submissions received within one second or one minute.
  public struct Burst: Sendable, Equatable, Encodable {
    /// The start of the second or minute (UTC).
    public let start: Date
    /// 1 for a second, 60 for a minute.
    public let seconds: Int
    /// Written submissions received in it.
    public let submissions: Int
    /// How many of them belong to an exact campaign (a text sent at least twice).
    public let inCampaigns: Int
  }

  /// A campaign (exact: one normalised text) with members received in burst seconds.
  public struct CampaignInBursts: Sendable, Equatable, Encodable {
    /// The campaign's earliest member.
    public let firstContributionID: Int64
    /// Its members.
    public let size: Int
    /// Members received in a burst second (one with at least ``CampaignSignals/burstSize`` submissions).
    public let inBursts: Int
    /// The most members received in one second.
    public let largestSecond: Int
    /// The earliest member's excerpt; nil when it is not for publication.
    public let excerpt: String?
  }

  /// Senders (or names) behind many submissions: how many, and the largest counts (no names).
  public struct Repeated: Sendable, Equatable, Encodable {
    /// How many senders (or names) are behind at least ``CampaignSignals/repeatedSize`` submissions.
    public let count: Int
    /// The submissions they are behind, together.
    public let submissions: Int
    /// The largest numbers of submissions behind one of them, largest first (at most 5).
    public let largest: [Int]
  }

  /// A second (or minute) with at least this many written submissions is a burst.
  public let burstSize: Int
  /// A sender or name behind at least this many written submissions is reported.
  public let repeatedSize: Int
  /// Written submissions considered.
  public let submissions: Int
  /// Seconds with at least ``burstSize`` submissions.
  public let burstSeconds: Int
  /// Submissions received in those seconds.
  public let submissionsInBurstSeconds: Int
  /// The busiest seconds, busiest first (at most 5).
  public let busiestSeconds: [Burst]
  /// The busiest minutes, busiest first (at most 5).
  public let busiestMinutes: [Burst]
  /// One sender (one person: one author key, e.g. one e-mail address) behind many submissions.
  public let sameSender: Repeated
  /// One name (of different senders: people are never merged by name) behind many submissions.
  public let sameName: Repeated
  /// Exact campaigns with members received in burst seconds, most such members first (at most 10).
  public let campaignsInBursts: [CampaignInBursts]
}

extension ConsultStore {
  /// The campaign signals of a consultation's written submissions (``CampaignSignals``), in one
  /// read-only transaction: a few aggregates over its contributions (linear in their number).
  ///
  /// - Parameters:
  ///   - slug: The consultation.
  ///   - burstSize: The submissions in one second (or minute) that make it a burst (≥ 2).
  ///   - repeatedSize: The submissions behind one sender or one name that are reported (≥ 2).
  /// - Throws: ``StoreError`` (`.notFound`; `.invalidInput` for sizes below 2).
  public func campaignSignals(in slug: String, burstSize: Int = 100, repeatedSize: Int = 10) throws
    -> CampaignSignals
  {
    guard burstSize >= 2, repeatedSize >= 2 else {
      throw StoreError(.invalidInput, "a burst and a repeated sender need at least 2 submissions")
    }
    return try transaction("campaign signals of \(slug)") {
      let id = try consultation(slug).id
      let total: Int = try connection.query(
        "SELECT count(*) AS n FROM contributions WHERE consultation_id = $1 AND kind = 'written-submission'", [id]
      ).rows[0].decode("n")
      func busiest(_ unit: String, seconds: Int) throws -> [CampaignSignals.Burst] {
        try connection.query(
          """
          WITH campaign AS (
            SELECT fingerprint FROM contributions
            WHERE consultation_id = $1 AND kind = 'written-submission' AND fingerprint IS NOT NULL
            GROUP BY fingerprint HAVING count(*) >= 2
          )
          SELECT date_trunc($2, received_at) AS t, count(*) AS n,
                 count(*) FILTER (WHERE fingerprint IN (SELECT fingerprint FROM campaign)) AS c
          FROM contributions WHERE consultation_id = $1 AND kind = 'written-submission'
          GROUP BY 1 HAVING count(*) >= 2 ORDER BY n DESC, t LIMIT 5
          """, [id, unit]
        ).map { row in
          CampaignSignals.Burst(
            start: try row.decode("t", as: PostgresTimestamp.self).date, seconds: seconds,
            submissions: try row.decode("n"), inCampaigns: try row.decode("c"))
        }
      }
      let seconds = try busiest("second", seconds: 1)
      let minutes = try busiest("minute", seconds: 60)
      let bursts = try connection.query(
        """
        SELECT count(*) AS seconds, coalesce(sum(n), 0)::bigint AS submissions FROM (
          SELECT count(*) AS n FROM contributions WHERE consultation_id = $1 AND kind = 'written-submission'
          GROUP BY date_trunc('second', received_at) HAVING count(*) >= $2) b
        """, [id, burstSize]
      ).rows[0]
      func repeated(_ sql: String) throws -> CampaignSignals.Repeated {
        let counts = try connection.query(sql, [id, repeatedSize]).map { try $0.decode("n", as: Int.self) }
        return CampaignSignals.Repeated(
          count: counts.count, submissions: counts.reduce(0, +), largest: Array(counts.prefix(5)))
      }
      // Counts only: the query returns no name, key or id of a person.
      let sameSender = try repeated(
        """
        SELECT count(*) AS n FROM contributions k JOIN stakeholders s ON s.id = k.stakeholder_id
        WHERE k.consultation_id = $1 AND k.kind = 'written-submission' AND s.kind = 'person'
        GROUP BY s.id HAVING count(*) >= $2 ORDER BY n DESC
        """)
      let sameName = try repeated(
        """
        SELECT count(*) AS n FROM contributions k JOIN stakeholders s ON s.id = k.stakeholder_id
        WHERE k.consultation_id = $1 AND k.kind = 'written-submission' AND s.kind = 'person'
          AND s.name IS NOT NULL AND s.erased_at IS NULL
        GROUP BY consult_match_key(s.name) HAVING count(*) >= $2 AND count(DISTINCT s.id) >= 2 ORDER BY n DESC
        """)
      let inBursts = try connection.query(
        """
        WITH burst AS (
          SELECT date_trunc('second', received_at) AS t FROM contributions
          WHERE consultation_id = $1 AND kind = 'written-submission'
          GROUP BY 1 HAVING count(*) >= $2
        ), per_second AS (
          SELECT fingerprint, date_trunc('second', received_at) AS t, count(*) AS n FROM contributions
          WHERE consultation_id = $1 AND kind = 'written-submission' AND fingerprint IS NOT NULL
          GROUP BY 1, 2
        ), campaign AS (
          SELECT fingerprint, sum(n)::bigint AS size, coalesce(sum(n) FILTER (WHERE t IN (SELECT t FROM burst)), 0)::bigint AS in_bursts,
                 max(n)::bigint AS largest
          FROM per_second GROUP BY fingerprint HAVING sum(n) >= 2
        )
        SELECT c.size, c.in_bursts, c.largest, f.id, f.attribution, f.head FROM campaign c
        CROSS JOIN LATERAL (
          SELECT k.id, k.attribution, left(k.text, 400) AS head FROM contributions k
          WHERE k.consultation_id = $1 AND k.fingerprint = c.fingerprint AND k.kind = 'written-submission'
          ORDER BY k.received_at, k.id LIMIT 1) f
        WHERE c.in_bursts > 0 ORDER BY c.in_bursts DESC, f.id LIMIT 10
        """, [id, burstSize]
      ).map { row in
        CampaignSignals.CampaignInBursts(
          firstContributionID: try row.decode("id"), size: try row.decode("size"),
          inBursts: try row.decode("in_bursts"), largestSecond: try row.decode("largest"),
          excerpt: Self.excerpt(try row.decode("head"), attribution: try row.decode("attribution")))
      }
      return CampaignSignals(
        burstSize: burstSize, repeatedSize: repeatedSize, submissions: total,
        burstSeconds: try bursts.decode("seconds"), submissionsInBurstSeconds: try bursts.decode("submissions"),
        busiestSeconds: seconds, busiestMinutes: minutes, sameSender: sameSender, sameName: sameName,
        campaignsInBursts: inBursts)
    }
  }
}
