import ConsultStore
import Foundation

/// Streams the publishable contributions of a consultation as CSV or JSON,
/// one row per contribution, in id order.
///
/// Columns (CSV header and JSON keys, in this order): `id`, `kind`
/// (`oral-statement`|`written-submission`), `workshop` (key; empty/null for
/// written submissions), `theme` (key), `language` (BCP 47), `received_at`
/// (ISO 8601 UTC, `2015-09-17T07:30:00Z`), `source`, `source_id`,
/// `consent` (the level the contributor gave, as stored: `named`,
/// `organisation`, `stakeholder-group`), `published_as` (what this export
/// applied, the stricter of the consent and the workshop's rule:
/// ``AttributionRule/publishedAs(consent:chathamHouse:)``, `named`,
/// `organisation`, `stakeholder-group`, or `unattributed` under the Chatham
/// House Rule), `attributed_to` (the name
/// ``AttributionRule/publishedName(for:chathamHouse:)`` allows; empty/null
/// when none may be shown or none is known), `stakeholder_group` (group key;
/// empty/null under the Chatham House Rule or when none is known, see
/// ``AttributionRule/publishedGroup(_:for:chathamHouse:)``), `text`.
///
/// Contributions whose effective level is `not-for-publication` are omitted
/// entirely. Under the Chatham House Rule no person or organisation name
/// appears. In CSV, absent values are empty fields; in JSON they are `null`.
/// The JSON form is `{"consultation": SLUG, "contributions": [ROW, …],
/// "schema": "consult.contributions/2"}` with one compact row per line (version 2: `consent` and
/// `published_as` replaced version 1's `attribution`).
///
/// Use: ``begin()``, then ``write(_:)`` per batch, then ``finish()``; each
/// call passes its bytes to the sink at once.
public final class ContributionsExporter {
  /// The column names, in order.
  public static let columns = [
    "id", "kind", "workshop", "theme", "language", "received_at", "source", "source_id", "consent",
    "published_as", "attributed_to", "stakeholder_group", "text",
  ]
  /// The JSON schema identifier.
  public static let schema = "consult.contributions/2"

  let format: TabularFormat
  let consultation: String
  let sink: ExportSink
  var rowsWritten = 0

  /// Makes an exporter.
  ///
  /// - Parameters:
  ///   - format: CSV or JSON.
  ///   - consultation: The consultation's slug (written in the JSON envelope).
  ///   - sink: Receives the output, chunk by chunk.
  public init(format: TabularFormat, consultation: String, sink: @escaping ExportSink) {
    self.format = format
    self.consultation = consultation
    self.sink = sink
  }

  /// Writes the CSV header or the start of the JSON object.
  ///
  /// - Throws: What the sink throws; `EncodingError`.
  public func begin() throws {
    switch format {
    case .csv:
      try sink(try CSVChunk.encode([Self.columns]))
    case .json:
      let slug = String(decoding: try ExportJSON.encoder(pretty: false).encode(consultation), as: UTF8.self)
      try sink(Data("{\"consultation\":\(slug),\"contributions\":[".utf8))
    }
  }

  /// Writes the publishable contributions of one batch.
  ///
  /// - Parameter batch: Contributions as the store read them
  ///   (``ConsultStore/forEachContributionBatch(of:batchSize:_:)``).
  /// - Throws: What the sink throws; `EncodingError`.
  public func write(_ batch: [ExportableContribution]) throws {
    let rows = batch.compactMap(Self.row)
    guard !rows.isEmpty else { return }
    switch format {
    case .csv:
      try sink(
        try CSVChunk.encode(
          rows.map { row in
            [
              String(row.id), row.kind, row.workshop.value ?? "", row.theme.value ?? "", row.language.value ?? "",
              row.receivedAt, row.source, row.sourceId.value ?? "", row.consent, row.publishedAs,
              row.attributedTo.value ?? "",
              row.stakeholderGroup.value ?? "", row.text,
            ]
          }))
    case .json:
      let encoder = ExportJSON.encoder(pretty: false)
      var chunk = Data()
      for row in rows {
        chunk.append(contentsOf: Array((rowsWritten == 0 ? "\n" : ",\n").utf8))
        chunk.append(try encoder.encode(row))
        rowsWritten += 1
      }
      try sink(chunk)
    }
  }

  /// Writes the end of the JSON object (nothing for CSV).
  ///
  /// - Throws: What the sink throws.
  public func finish() throws {
    guard format == .json else { return }
    try sink(Data("\(rowsWritten == 0 ? "" : "\n")],\"schema\":\"\(Self.schema)\"}\n".utf8))
  }

  struct Row: Encodable {
    let id: Int64
    let kind: String
    let workshop: Nullable<String>
    let theme: Nullable<String>
    let language: Nullable<String>
    let receivedAt: String
    let source: String
    let sourceId: Nullable<String>
    let consent: String
    let publishedAs: String
    let attributedTo: Nullable<String>
    let stakeholderGroup: Nullable<String>
    let text: String
  }

  /// The published row, or nil when the contribution is not for publication.
  static func row(_ contribution: ExportableContribution) -> Row? {
    let facts = contribution.attributable
    guard
      let publishedAs = AttributionRule.publishedAs(consent: facts.attribution, chathamHouse: contribution.chathamHouse)
    else { return nil }
    return Row(
      id: facts.id, kind: contribution.kind.rawValue, workshop: Nullable(contribution.workshop),
      theme: Nullable(facts.theme), language: Nullable(contribution.language),
      receivedAt: ExportJSON.timestamp(contribution.receivedAt), source: contribution.source,
      sourceId: Nullable(contribution.sourceID), consent: facts.attribution.rawValue, publishedAs: publishedAs,
      attributedTo: Nullable(AttributionRule.publishedName(for: facts, chathamHouse: contribution.chathamHouse)),
      stakeholderGroup: Nullable(
        AttributionRule.publishedGroup(contribution.groupKey, for: facts, chathamHouse: contribution.chathamHouse)),
      text: facts.text)
  }
}
