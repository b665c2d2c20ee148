import ConsultStore
import Foundation

/// Renders a proceedings summary as JSON, schema `consult.proceedings-summary/2`
/// (JSON Schema: `Schema/json/proceedings-summary-2.schema.json`; version 2 adds the document's
/// title, the consultation's own summary, the range of received dates and near-duplicate
/// campaigns to version 1).
///
/// Keys are snake_case and sorted; every key is always present (absent values
/// are `null`); timestamps are ISO 8601 in UTC (`2015-09-17T07:30:00Z`);
/// states, events, theme and group keys are the workflow's and the store's
/// identifiers, not translated names. Statements come from the same decision
/// as the Markdown and HTML summaries (``AttributionRule``): statements not
/// for publication are only counted (`withheld_statements`), and
/// `attributed_to` is the label the rule allows. Campaigns among the written
/// submissions are listed once each with their size (`campaigns`), and
/// `distinct` counts each campaign once. Output is deterministic.
public struct SummaryJSONExporter {
  /// The schema identifier written to the `schema` key.
  public static let schema = "consult.proceedings-summary/2"

  /// Makes an exporter.
  public init() {}

  /// Renders the summary.
  ///
  /// - Parameter data: What the store read (``ConsultStore/proceedings(of:)``).
  /// - Returns: Pretty-printed JSON ending in a newline.
  /// - Throws: `EncodingError` (not expected for these values).
  public func render(_ data: ProceedingsData) throws -> String {
    let encoded = try ExportJSON.encoder(pretty: true).encode(Document(data))
    return String(decoding: encoded, as: UTF8.self) + "\n"
  }

  struct Document: Encodable {
    struct WorkflowRef: Encodable {
      let name: String
      let version: String
    }
    struct ConsultationPart: Encodable {
      let slug: String
      let title: String
      let owner: Nullable<String>
      let state: String
      let workflow: WorkflowRef
      let openedAt: String
    }
    struct ThemePart: Encodable {
      let key: String
      let number: Int
      let title: String
    }
    struct TimelinePart: Encodable {
      let occurredAt: String
      let event: String
      let fromState: Nullable<String>
      let toState: String
    }
    struct ParticipationPart: Encodable {
      let stakeholderGroup: Nullable<String>
      let stakeholderGroupName: String
      let invited: CountPart
      let accepted: CountPart
      let attended: CountPart
    }
    struct Totals: Encodable {
      let invited: CountPart
      let accepted: CountPart
      let attended: CountPart
    }
    /// A count: a number when shown, else the text saying why not ("fewer than 3", "withheld").
    struct CountPart: Encodable {
      let count: PublishedCount
      func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value = count.value { try container.encode(value) } else { try container.encode(count.text) }
      }
    }
    struct ApprovalPart: Encodable {
      let event: String
      let toState: String
      let actor: String
      let occurredAt: String
      let reason: Nullable<String>
    }
    struct SummaryPart: Encodable {
      let title: String
      let body: String
      let revision: Int
      let state: String
      let approvals: [ApprovalPart]
      let sources: [SourcePart]
    }
    struct SourcePart: Encodable {
      let number: Int
      let contributionId: Int64
      let kind: String
      let workshop: Nullable<String>
      let attributedTo: Nullable<String>
    }
    struct StatementPart: Encodable {
      let id: Int64
      let theme: Nullable<String>
      let text: String
      let attributedTo: String
    }
    struct WorkshopPart: Encodable {
      let key: String
      let title: String
      let venue: Nullable<String>
      let startsAt: String
      let endsAt: String
      let timeZone: String
      let state: String
      let chathamHouse: Bool
      let hosts: [String]
      let participation: [ParticipationPart]
      let totals: Totals
      let disclosureThreshold: Int
      let summary: Nullable<SummaryPart>
      let statements: [StatementPart]
      let withheldStatements: Int
    }
    struct WrittenRow: Encodable {
      let theme: Nullable<String>
      let stakeholderGroupName: String
      let count: Int
    }
    struct OrganisationPart: Encodable {
      let name: String
      let count: Int
    }
    struct CampaignPart: Encodable {
      let size: Int
      let kind: String
      let excerpt: Nullable<String>
    }
    struct WrittenPart: Encodable {
      let total: Int
      let distinct: Int
      let distinctNear: Int
      let byState: [StateCount]
      let receivedFirst: Nullable<String>
      let receivedLast: Nullable<String>
      let byThemeAndGroup: [WrittenRow]
      let organisations: [OrganisationPart]
      let campaigns: [CampaignPart]
      let nearCampaigns: [CampaignPart]
    }

    let schema = SummaryJSONExporter.schema
    let documentTitle: String
    let recordDigest: Nullable<String>
    let consultationSummary: Nullable<SummaryPart>
    let consultation: ConsultationPart
    let themes: [ThemePart]
    let timeline: [TimelinePart]
    let workshops: [WorkshopPart]
    let writtenSubmissions: WrittenPart

    init(_ data: ProceedingsData) {
      let c = data.consultation
      consultation = ConsultationPart(
        slug: c.slug, title: c.title, owner: Nullable(c.owner), state: c.state,
        workflow: WorkflowRef(name: c.workflowName, version: c.workflowVersion),
        openedAt: ExportJSON.timestamp(c.openedAt))
      themes = data.themes.enumerated().map {
        ThemePart(key: $0.element.key, number: $0.offset + 1, title: $0.element.title)
      }
      timeline = data.timeline.map {
        TimelinePart(
          occurredAt: ExportJSON.timestamp($0.occurredAt), event: $0.event, fromState: Nullable($0.fromState),
          toState: $0.toState)
      }
      workshops = data.workshops.map { proceedings in
        let w = proceedings.workshop
        let published = PublishableStatements(proceedings, themes: data.themes)
        let participation = proceedings.participation
        let counts = proceedings.publishedParticipation  // small counts suppressed (CellSuppression)
        return WorkshopPart(
          key: w.key, title: w.title, venue: Nullable(w.venue), startsAt: ExportJSON.timestamp(w.startsAt),
          endsAt: ExportJSON.timestamp(w.endsAt), timeZone: w.timeZone, state: w.state, chathamHouse: w.chathamHouse,
          hosts: w.hosts,
          participation: zip(participation, counts.rows).map { group, row in
            ParticipationPart(
              stakeholderGroup: Nullable(group.groupKey), stakeholderGroupName: group.groupName,
              invited: CountPart(count: row[0]), accepted: CountPart(count: row[1]), attended: CountPart(count: row[2]))
          },
          totals: Totals(
            invited: CountPart(count: counts.totals[0]), accepted: CountPart(count: counts.totals[1]),
            attended: CountPart(count: counts.totals[2])),
          disclosureThreshold: proceedings.disclosureThreshold,
          summary: Nullable(
            proceedings.summary.map {
              Self.summaryPart(
                SummaryProceedings(summary: $0, approvals: proceedings.approvals, citations: proceedings.citations))
            }),
          statements: published.themes.flatMap { group in
            group.statements.map {
              StatementPart(id: $0.id, theme: Nullable(group.theme), text: $0.text, attributedTo: $0.source)
            }
          },
          withheldStatements: published.withheld)
      }
      documentTitle = data.documentTitle
      recordDigest = Nullable(data.recordDigest)
      consultationSummary = Nullable(data.consultationSummary.map(Self.summaryPart))
      writtenSubmissions = WrittenPart(
        total: data.writtenTotal, distinct: data.writtenDistinct, distinctNear: data.writtenNearDistinct,
        byState: data.writtenByState,
        receivedFirst: Nullable(data.writtenReceived.map { ExportJSON.timestamp($0.lowerBound) }),
        receivedLast: Nullable(data.writtenReceived.map { ExportJSON.timestamp($0.upperBound) }),
        byThemeAndGroup: data.writtenByTheme.flatMap { theme in
          theme.byGroup.map {
            WrittenRow(theme: Nullable(theme.theme), stakeholderGroupName: $0.group, count: $0.count)
          }
        },
        organisations: data.writtenOrganisations.map { OrganisationPart(name: $0.name, count: $0.count) },
        campaigns: data.writtenCampaigns.map {
          CampaignPart(size: $0.size, kind: $0.kind.rawValue, excerpt: Nullable($0.excerpt))
        },
        nearCampaigns: data.writtenNearCampaigns.map {
          CampaignPart(size: $0.size, kind: $0.kind.rawValue, excerpt: Nullable($0.excerpt))
        })
    }

    /// A summary with its approvals and numbered sources.
    static func summaryPart(_ proceedings: SummaryProceedings) -> SummaryPart {
      let summary = proceedings.summary
      return SummaryPart(
        title: summary.title, body: summary.body, revision: summary.revision, state: summary.state,
        approvals: proceedings.approvals.map {
          ApprovalPart(
            event: $0.event, toState: $0.toState, actor: $0.actor, occurredAt: ExportJSON.timestamp($0.at),
            reason: Nullable($0.reason))
        },
        sources: PublishableCitations(proceedings).sources.map {
          SourcePart(
            number: $0.number, contributionId: $0.id, kind: $0.kind, workshop: Nullable($0.workshop),
            attributedTo: Nullable($0.attributedTo))
        })
    }
  }
}
