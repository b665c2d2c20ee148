import ConsultCore
import Foundation
import Postgres

/// One contribution with every fact a contributions export needs, names included.
///
/// Holds names (personal data): only an exporter applying the attribution
/// rules (`AttributionRule` in ConsultExport) may turn it into published text.
public struct ExportableContribution: Sendable, Equatable {
  /// The attribution facts (id, theme, text, names, group display name, consent level).
  public let attributable: AttributableContribution
  /// Oral statement or written submission.
  public let kind: Contribution.Kind
  /// The workshop key for oral statements; nil for written submissions.
  public let workshop: String?
  /// Whether the workshop was held under the Chatham House Rule (false for written submissions).
  public let chathamHouse: Bool
  /// Language tag (BCP 47), if known.
  public let language: String?
  /// When it was received (an instant; export it in UTC).
  public let receivedAt: Date
  /// Where it came from: `manual`, `regulations-gov`…
  public let source: String
  /// The source's own id, if any.
  public let sourceID: String?
  /// The contributor's stakeholder group key (the organisation's when the person has none), if any.
  public let groupKey: String?
}

extension ConsultStore {
  /// Reads every contribution of a consultation in batches, ordered by id,
  /// and hands each batch to `body` before reading the next, so memory stays
  /// flat however many contributions there are.
  ///
  /// Batches are read with keyset pagination (`id > last id … LIMIT n`) inside
  /// one REPEATABLE READ transaction, so all batches come from one snapshot.
  /// Every contribution is passed, whatever its consent level; the exporter
  /// decides what may be published.
  ///
  /// - Parameters:
  ///   - slug: The consultation.
  ///   - batchSize: Rows per batch (default 1,000; at least 1).
  ///   - body: Called once per non-empty batch, in id order; throwing stops the export.
  /// - Throws: ``StoreError`` (`.notFound` for an unknown consultation), or what `body` throws.
  public func forEachContributionBatch(
    of slug: String, batchSize: Int = 1_000, _ body: ([ExportableContribution]) throws -> Void
  ) throws {
    try translatingErrors("contributions of \(slug)") {
      try connection.withTransaction(isolation: .repeatableRead) {
        let consultation = try consultation(slug)
        var after: Int64 = 0
        while true {
          let batch = try connection.query(
            """
            SELECT k.id, k.kind, w.key AS workshop, coalesce(w.chatham_house, false) AS chatham_house, k.theme,
                   k.language, k.received_at, k.source, k.source_id, k.text, k.attribution,
                   s.name AS contributor, s.kind = 'person' AS is_person,
                   coalesce(o.name, CASE WHEN s.kind = 'organisation' THEN s.name END) AS organisation,
                   g.key AS group_key, g.name AS group_name
            FROM contributions k
            LEFT JOIN workshops w ON w.id = k.workshop_id
            LEFT JOIN stakeholders s ON s.id = k.stakeholder_id
            LEFT JOIN stakeholders o ON o.id = k.organisation_id
            LEFT JOIN stakeholder_groups g ON g.key = coalesce(s.stakeholder_group, o.stakeholder_group)
            WHERE k.consultation_id = $1 AND k.id > $2
            ORDER BY k.id LIMIT $3
            """, [consultation.id, after, max(batchSize, 1)]
          ).map { row in
            ExportableContribution(
              attributable: try Self.decodeAttributable(row),
              kind: Contribution.Kind(rawValue: try row.decode("kind")) ?? .writtenSubmission,
              workshop: try row.decode("workshop", as: String?.self), chathamHouse: try row.decode("chatham_house"),
              language: try row.decode("language", as: String?.self),
              receivedAt: try row.decode("received_at", as: PostgresTimestamp.self).date,
              source: try row.decode("source"), sourceID: try row.decode("source_id", as: String?.self),
              groupKey: try row.decode("group_key", as: String?.self))
          }
          guard let last = batch.last else { return }
          try body(batch)
          after = last.attributable.id
        }
      }
    }
  }
}
