import ConsultCore
import Foundation
import Postgres

/// Participation of one stakeholder group in a workshop.
public struct GroupParticipation: Sendable, Equatable, Encodable {
  /// Group key; nil for stakeholders without a group.
  public let groupKey: String?
  /// Group display name ("No stakeholder group recorded" when none).
  public let groupName: String
  /// Invitations that left the invitation machine's initial state (sent or beyond).
  public let invited: Int
  /// Invitations that reached the state `accepted` at any time (from the event log).
  public let accepted: Int
  /// Stakeholders recorded as attending.
  public let attended: Int
}

/// A contribution with every attribution fact an exporter needs to decide what may be shown.
///
/// Holds names: only an exporter applying the attribution rules may turn it into published text.
public struct AttributableContribution: Sendable, Equatable {
  /// Database id.
  public let id: Int64
  /// Theme key, if tagged.
  public let theme: String?
  /// The text.
  public let text: String
  /// The contributor's name, if any (personal data).
  public let contributorName: String?
  /// The contributor is a person (not an organisation).
  public let contributorIsPerson: Bool
  /// The organisation on whose behalf (or the contributor itself when an organisation).
  public let organisationName: String?
  /// The contributor's stakeholder group display name.
  public let groupName: String?
  /// The consent level given.
  public let attribution: Contribution.Attribution
}

/// An approval-trail entry: who moved the proceedings summary, to what, when.
public struct ApprovalStep: Sendable, Equatable, Encodable {
  /// The event (`submit-for-review`, `approve`, `publish`…).
  public let event: String
  /// The state reached.
  public let toState: String
  /// Who.
  public let actor: String
  /// When (UTC).
  public let at: Date
  /// The note recorded, e.g. "revision 2".
  public let reason: String?
}

/// Everything about one workshop that goes into a proceedings summary.
public struct WorkshopProceedings: Sendable, Equatable {
  /// The workshop.
  public let workshop: Workshop
  /// Participation by stakeholder group, in group order.
  public let participation: [GroupParticipation]
  /// Oral statements made at the workshop, in the order recorded.
  public let statements: [AttributableContribution]
  /// The proceedings summary, if one was started.
  public let summary: ProceedingsSummary?
  /// The summary's transitions after creation (review, approval, publication).
  public let approvals: [ApprovalStep]
  /// The contributions the summary's text cites (``SummaryCitations``), in
  /// order of first citation; exporters list them as sources.
  public var citations: [CitedContribution] = []
  /// Participation counts below this are published as "fewer than N" (the workshop's
  /// `disclosure_threshold`, migration 0020; default 3).
  public var disclosureThreshold: Int = 3
}

/// A contribution cited by a proceedings summary, with what an exporter needs
/// to describe it within the attribution rules.
public struct CitedContribution: Sendable, Equatable {
  /// The contribution and its attribution facts.
  public let contribution: AttributableContribution
  /// Oral statement or written submission.
  public let kind: Contribution.Kind
  /// The workshop key for an oral statement.
  public let workshop: String?
  /// Whether it was made under the Chatham House Rule (its workshop's rule).
  public let chathamHouse: Bool
}

/// A summary with what its export needs: the text, its approval trail and the contributions it
/// cites; a workshop's proceedings summary or the consultation's own.
public struct SummaryProceedings: Sendable, Equatable {
  /// The summary.
  public let summary: ProceedingsSummary
  /// Its transitions after creation (review, approval, publication).
  public let approvals: [ApprovalStep]
  /// The contributions its text cites (``SummaryCitations``), in order of first citation.
  public let citations: [CitedContribution]

  /// Groups a summary with its approval trail and citations.
  ///
  /// - Parameters:
  ///   - summary: The summary.
  ///   - approvals: Its transitions after creation, oldest first.
  ///   - citations: The contributions it cites, in order of first citation.
  public init(summary: ProceedingsSummary, approvals: [ApprovalStep], citations: [CitedContribution]) {
    self.summary = summary
    self.approvals = approvals
    self.citations = citations
  }
}

/// Written submissions in one theme, counted by stakeholder group.
public struct ThemeCount: Sendable, Equatable, Encodable {
  /// Theme key; nil for untagged submissions.
  public let theme: String?
  /// Count per group display name ("No stakeholder group recorded" when none), in group order.
  public let byGroup: [GroupCount]
  /// Total in this theme.
  public let total: Int
}

/// A count for one stakeholder group.
public struct GroupCount: Sendable, Equatable, Encodable {
  /// Group display name.
  public let group: String
  /// How many.
  public let count: Int
}

/// How many written submissions are in one state.
public struct StateCount: Sendable, Equatable, Encodable {
  /// The state, as the workflow names it.
  public let state: String
  /// How many.
  public let count: Int
}

/// An organisation and how many written submissions it may be named for.
public struct OrganisationCount: Sendable, Equatable, Encodable {
  /// Organisation name.
  public let name: String
  /// Submissions on its behalf whose consent allows naming the organisation.
  public let count: Int
}

/// The data a proceedings-summary export is rendered from.
public struct ProceedingsData: Sendable, Equatable {
  /// The consultation.
  public let consultation: Consultation
  /// What the consultation's workflow calls this document (`summary-title:`, e.g. "Report on the
  /// comments"); "Proceedings summary" by default.
  public var documentTitle: String = "Proceedings summary"
  /// What the consultation's workflow calls one workshop, for headings (its workshop machine's
  /// `label:`, e.g. "Meeting" for a standing expert group); "Workshop" by default.
  public var workshopLabel: String = "Workshop"
  /// The consultation's own summary (not a workshop's), if one was started: for a docket of
  /// written comments, the report on the comments.
  public var consultationSummary: SummaryProceedings? = nil
  /// When the earliest and the latest written submission were received (UTC); nil without any.
  public var writtenReceived: ClosedRange<Date>? = nil
  /// Written submissions by state of the workflow's contribution machine (e.g. received,
  /// accepted, rejected), in the machine's state order; what a report on the comments says of how
  /// many were taken in or left out.
  public var writtenByState: [StateCount] = []
  /// Near-duplicate campaigns among the written submissions (texts that differ only slightly,
  /// ``ConsultStore/campaigns(in:minSize:near:)`` with `near`), largest first; each includes
  /// the exact copies of its texts.
  public var writtenNearCampaigns: [CampaignSummary] = []
  /// Written submissions counting each near-duplicate campaign once.
  public var writtenNearDistinct: Int = 0
  /// The record digest (``RecordDigest``, `CUTOFF:HEX`) the export pins, when the caller read it.
  public var recordDigest: String? = nil
  /// Its themes, in order.
  public let themes: [Theme]
  /// The consultation's own transitions (its phase timeline), oldest first.
  public let timeline: [LogEntry]
  /// Workshops by start time.
  public let workshops: [WorkshopProceedings]
  /// Number of written submissions (all consent levels).
  public let writtenTotal: Int
  /// Written submissions by theme (tagged themes in theme order, then untagged).
  public let writtenByTheme: [ThemeCount]
  /// Organisations that may be named, with counts, most first then by name.
  public let writtenOrganisations: [OrganisationCount]
  /// Exact campaigns among the written submissions (same normalised text, see
  /// ``ConsultStore/campaigns(in:minSize:near:)``), largest first; near-duplicates are in
  /// ``writtenNearCampaigns``.
  public let writtenCampaigns: [CampaignSummary]
  /// Written submissions counting each campaign once: ``writtenTotal`` minus, for every
  /// campaign, its size less one.
  public let writtenDistinct: Int
}

extension ConsultStore {
  /// Reads everything a proceedings summary shows, in one REPEATABLE READ
  /// snapshot. Memory grows with the number of workshop statements, not
  /// with the number of written submissions (those are aggregated in SQL;
  /// exact campaigns are grouped through the fingerprint index).
  ///
  /// - Parameter slug: The consultation.
  /// - Throws: ``StoreError`` (`.notFound`).
  public func proceedings(of slug: String) throws -> ProceedingsData {
    try translatingErrors("proceedings of \(slug)") {
      try connection.withTransaction(isolation: .repeatableRead) {
        let consultation = try consultation(slug)
        let themes = try themes(of: consultation.id)
        // The phase timeline: the consultation's transitions, not its record events (themes, deadlines).
        let timeline = try eventLog(of: slug, kinds: [.consultation]).filter { $0.fromState != $0.toState }
        // A workflow without invitations (notice-and-comment) has none to count.
        let definition = try workflow(name: consultation.workflowName, version: consultation.workflowVersion)
        let initialInvitation = definition.machines[.invitation]?.initialState ?? ""
        var workshopData: [WorkshopProceedings] = []
        for workshop in try workshops(in: slug) {
          let participation = try connection.query(
            """
            WITH people AS (
              SELECT i.stakeholder_id, i.state,
                     EXISTS (SELECT 1 FROM events e WHERE e.entity_kind = 'invitation' AND e.entity_id = i.id
                             AND e.to_state = 'accepted') AS accepted,
                     EXISTS (SELECT 1 FROM attendance a WHERE a.workshop_id = i.workshop_id
                             AND a.stakeholder_id = i.stakeholder_id) AS attended
              FROM invitations i WHERE i.workshop_id = $1
            )
            SELECT g.key, coalesce(g.name, 'No stakeholder group recorded') AS name,
                   count(*) FILTER (WHERE p.state <> $2) AS invited,
                   count(*) FILTER (WHERE p.accepted) AS accepted,
                   count(*) FILTER (WHERE p.attended) AS attended
            FROM people p JOIN stakeholders s ON s.id = p.stakeholder_id
            LEFT JOIN stakeholder_groups g ON g.key = s.stakeholder_group
            GROUP BY g.key, g.name, g.position ORDER BY g.position NULLS LAST
            """, [workshop.id, initialInvitation]
          ).map { row in
            GroupParticipation(
              groupKey: try row.decode("key", as: String?.self), groupName: try row.decode("name"),
              invited: try row.decode("invited"), accepted: try row.decode("accepted"),
              attended: try row.decode("attended"))
          }
          let statements = try connection.query(
            """
            SELECT k.id, k.theme, k.text, k.attribution, s.name AS contributor, s.kind = 'person' AS is_person,
                   coalesce(o.name, CASE WHEN s.kind = 'organisation' THEN s.name END) AS organisation,
                   g.name AS group_name
            FROM contributions k LEFT JOIN stakeholders s ON s.id = k.stakeholder_id
            LEFT JOIN stakeholders o ON o.id = k.organisation_id
            LEFT JOIN stakeholder_groups g ON g.key = s.stakeholder_group
            WHERE k.workshop_id = $1 ORDER BY k.received_at, k.id
            """, [workshop.id]
          ).map(Self.decodeAttributable)
          var proceedings = WorkshopProceedings(
            workshop: workshop, participation: participation, statements: statements, summary: nil, approvals: [])
          if let row = try connection.query(
            "SELECT id FROM proceedings_summaries WHERE workshop_id = $1", [workshop.id]
          ).rows.first {
            let found = try summaryProceedings(
              try row.decode("id"), summary: try summary(for: workshop.key, in: slug), consultation: consultation)
            proceedings = WorkshopProceedings(
              workshop: workshop, participation: participation, statements: statements, summary: found.summary,
              approvals: found.approvals)
            proceedings.citations = found.citations
          }
          proceedings.disclosureThreshold = try disclosureThreshold(workshopID: workshop.id)
          workshopData.append(proceedings)
        }
        let groupRows = try connection.query(
          """
          SELECT k.theme, coalesce(g.name, 'No stakeholder group recorded') AS group_name, count(*) AS count
          FROM contributions k
          LEFT JOIN stakeholders s ON s.id = k.stakeholder_id
          LEFT JOIN stakeholders o ON o.id = k.organisation_id
          LEFT JOIN stakeholder_groups g ON g.key = coalesce(s.stakeholder_group, o.stakeholder_group)
          LEFT JOIN themes t ON t.consultation_id = k.consultation_id AND t.key = k.theme
          WHERE k.consultation_id = $1 AND k.kind = 'written-submission'
          GROUP BY k.theme, t.position, g.name, g.position
          ORDER BY t.position NULLS LAST, g.position NULLS LAST
          """, [consultation.id])
        var byTheme: [ThemeCount] = []
        for row in groupRows {
          let theme: String? = try row.decode("theme", as: String?.self)
          let count = GroupCount(group: try row.decode("group_name"), count: try row.decode("count"))
          if let last = byTheme.last, last.theme == theme {
            byTheme[byTheme.count - 1] = ThemeCount(
              theme: theme, byGroup: last.byGroup + [count], total: last.total + count.count)
          } else {
            byTheme.append(ThemeCount(theme: theme, byGroup: [count], total: count.count))
          }
        }
        let organisations = try connection.query(
          """
          SELECT o.name, count(*) AS count FROM contributions k JOIN stakeholders o ON o.id = k.organisation_id
          WHERE k.consultation_id = $1 AND k.kind = 'written-submission'
            AND k.attribution IN ('named', 'organisation') AND o.erased_at IS NULL
          GROUP BY o.name ORDER BY count(*) DESC, o.name
          """, [consultation.id]
        ).map { OrganisationCount(name: try $0.decode("name"), count: try $0.decode("count")) }
        let campaigns = try campaigns(consultationID: consultation.id, minSize: 2, near: false)
        let near = try self.campaigns(consultationID: consultation.id, minSize: 2, near: true)
          .filter { $0.kind == .near }
        let writtenTotal = byTheme.reduce(0) { $0 + $1.total }
        var data = ProceedingsData(
          consultation: consultation, themes: themes, timeline: timeline, workshops: workshopData,
          writtenTotal: writtenTotal, writtenByTheme: byTheme, writtenOrganisations: organisations,
          writtenCampaigns: campaigns.map(CampaignSummary.init),
          writtenDistinct: writtenTotal - campaigns.reduce(0) { $0 + $1.size - 1 })
        data.documentTitle = definition.summaryTitle ?? "Proceedings summary"
        data.workshopLabel = definition.machines[.workshop]?.label ?? "Workshop"
        let order = try definition.machine(for: .contribution).states.map(\.name)
        let counts = Dictionary(
          uniqueKeysWithValues: try connection.query(
            """
            SELECT state, count(*) AS n FROM contributions
            WHERE consultation_id = $1 AND kind = 'written-submission' GROUP BY state
            """, [consultation.id]
          ).map { (try $0.decode("state", as: String.self), try $0.decode("n", as: Int.self)) })
        data.writtenByState = (order + counts.keys.filter { !order.contains($0) }.sorted()).compactMap { state in
          counts[state].map { StateCount(state: state, count: $0) }
        }
        data.writtenNearCampaigns = near.map(CampaignSummary.init)
        data.writtenNearDistinct = writtenTotal - near.reduce(0) { $0 + $1.size - 1 }
        let range = try connection.query(
          """
          SELECT min(received_at) AS first, max(received_at) AS last FROM contributions
          WHERE consultation_id = $1 AND kind = 'written-submission'
          """, [consultation.id]
        ).rows[0]
        if let first = try range.decode("first", as: PostgresTimestamp?.self),
          let last = try range.decode("last", as: PostgresTimestamp?.self)
        {
          data.writtenReceived = first.date...last.date
        }
        if let row = try connection.query(
          "SELECT id FROM proceedings_summaries WHERE consultation_id = $1 AND workshop_id IS NULL", [consultation.id]
        ).rows.first {
          data.consultationSummary = try summaryProceedings(
            try row.decode("id"), summary: try summary(for: nil, in: slug), consultation: consultation)
        }
        return data
      }
    }
  }

  /// A summary's approval trail and cited contributions, inside the caller's snapshot.
  ///
  /// - Parameters:
  ///   - id: The summary's id.
  ///   - summary: The summary.
  ///   - consultation: Its consultation.
  /// - Returns: The summary with its approvals and citations (in order of first citation).
  func summaryProceedings(_ id: Int64, summary: ProceedingsSummary, consultation: Consultation) throws
    -> SummaryProceedings
  {
    let approvals = try connection.query(
      """
      SELECT event, to_state, (SELECT handle FROM actors WHERE id = actor_id) AS actor, occurred_at, reason
      FROM events
      WHERE entity_kind = 'proceedings-summary' AND entity_id = $1 AND from_state IS NOT NULL
        AND from_state <> to_state
      ORDER BY id
      """, [id]
    ).map { row in
      ApprovalStep(
        event: try row.decode("event"), toState: try row.decode("to_state"), actor: try row.decode("actor"),
        at: try row.decode("occurred_at", as: PostgresTimestamp.self).date,
        reason: try row.decode("reason", as: String?.self))
    }
    var citations: [CitedContribution] = []
    let cited = SummaryCitations.ids(in: summary.body)
    if !cited.isEmpty {
      let byID = try citedContributions(cited, consultationID: consultation.id)
      citations = cited.compactMap { byID[$0] }
    }
    return SummaryProceedings(summary: summary, approvals: approvals, citations: citations)
  }

  /// The contributions of a consultation that a text cites (`[#12]`: a summary, a draft), with
  /// what the attribution rules need, by id; ids of other consultations are left out.
  ///
  /// - Parameters:
  ///   - ids: The cited contribution ids.
  ///   - consultationID: The consultation the citing text belongs to.
  /// - Returns: The cited contributions found, by id.
  func citedContributions(_ ids: [Int64], consultationID: Int64) throws -> [Int64: CitedContribution] {
    guard !ids.isEmpty else { return [:] }
    var byID: [Int64: CitedContribution] = [:]
    for row in try connection.query(
      """
      SELECT k.id, k.theme, k.text, k.attribution, k.kind, w.key AS workshop,
             coalesce(w.chatham_house, false) AS chatham_house,
             s.name AS contributor, s.kind = 'person' AS is_person,
             coalesce(o.name, CASE WHEN s.kind = 'organisation' THEN s.name END) AS organisation,
             g.name AS group_name
      FROM contributions k LEFT JOIN workshops w ON w.id = k.workshop_id
      LEFT JOIN stakeholders s ON s.id = k.stakeholder_id
      LEFT JOIN stakeholders o ON o.id = k.organisation_id
      LEFT JOIN stakeholder_groups g ON g.key = s.stakeholder_group
      WHERE k.consultation_id = $1 AND k.id = ANY($2::bigint[])
      """, [consultationID, PostgresTextArray(ids.map(String.init))])
    {
      let contribution = try Self.decodeAttributable(row)
      byID[contribution.id] = CitedContribution(
        contribution: contribution, kind: Contribution.Kind(rawValue: try row.decode("kind")) ?? .writtenSubmission,
        workshop: try row.decode("workshop", as: String?.self), chathamHouse: try row.decode("chatham_house"))
    }
    return byID
  }

  static func decodeAttributable(_ row: PostgresRow) throws -> AttributableContribution {
    AttributableContribution(
      id: try row.decode("id"), theme: try row.decode("theme", as: String?.self), text: try row.decode("text"),
      contributorName: try row.decode("contributor", as: String?.self),
      contributorIsPerson: try row.decode("is_person", as: Bool?.self) ?? false,
      organisationName: try row.decode("organisation", as: String?.self),
      groupName: try row.decode("group_name", as: String?.self),
      attribution: Contribution.Attribution(rawValue: try row.decode("attribution")) ?? .notForPublication)
  }
}
