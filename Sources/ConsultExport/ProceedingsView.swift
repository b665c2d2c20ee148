import ConsultCore
import ConsultStore
import Foundation

/// The template context of a proceedings summary: only publishable values,
/// already formatted. Names enter only through ``AttributionRule``.
///
/// The same keys reach the Markdown and the HTML template (``MarkdownExporter``,
/// ``HTMLExporter``, `consult export summary --template FILE`); in Markdown,
/// table cells escape `|` and `quote` is a ready block quote, in HTML values are
/// plain text that `{{…}}` escapes. Dates are UTC unless stated; counts are grouped by three
/// with commas (`60,000`, ``Phrasing/grouped(_:)``), and phrases with a count use the singular
/// for one.
///
/// - `consultation`: `title`, `owner` (absent when none), `slug`, `state`,
///   `workflowName`, `workflowVersion`; `openedOn` (`yyyy-MM-dd`).
/// - `hasThemes`; `themes`: `number`, `title`.
/// - `timeline` (the consultation's phases): `date` (`yyyy-MM-dd HH:mm`),
///   `iso` (ISO 8601), `event`, `from` (`—` for the opening), `to`.
/// - `workshops`: `title`, `date` (in the workshop's zone, with the zone and
///   its UTC offset), `venue` (absent when none), `hosts` (`; `-separated),
///   `state`, `chathamHouse` (true under the rule); `participation`: `group`,
///   `invited`, `accepted`, `attended`; `totalInvited`, `totalAccepted`,
///   `totalAttended` (counts below the workshop's disclosure threshold read "fewer than 3", and
///   counts withheld so that totals cannot give them back "withheld": ``CellSuppression``); `summary` (absent until drafted): `body` (Markdown as
///   written, citations `[#12]` replaced by source numbers `[1]`), `paragraphs`,
///   `status` (title, revision, state and approval trail), `hasSources`,
///   `sources`: `number`, `label` (kind, contribution id and the attribution
///   the rule allows); `hasStatements`; `statementThemes`: `title`, `count`,
///   `statements`: `quote` (Markdown block quote), `paragraphs`, `source` (the
///   attribution the rule allows, e.g. "a participant" under the rule);
///   `withheld` (statements not for publication; absent when none), `withheldNote` (the sentence
///   saying so: "1 statement not for publication is counted but not shown.").
/// - `writtenTotal`; `writtenSubmissions` (`writtenTotal` with its noun: "1 written submission");
///   `writtenDistinct` (counting each campaign once);
///   `hasWritten`; `writtenRows`: `theme`, `group`, `count`;
///   `hasOrganisations`; `organisations`: `name`, `count`;
///   `hasCampaigns`; `campaigns`: `number`, `size`, `kind` ("identical" or
///   "near-identical"), `excerpt` (absent when not for publication).
struct ProceedingsView {
  /// How text values are prepared for the template.
  enum Style {
    /// Markdown: table cells escape `|`, statements become block quotes.
    case markdown
    /// HTML: values stay plain text (the template's HTML content type escapes them).
    case html
  }
  struct ConsultationView {
    let title: String
    let owner: String?
    let slug: String
    let state: String
    let workflowName: String
    let workflowVersion: String
  }
  struct ThemeView {
    let number: Int
    let title: String
  }
  struct TimelineRow {
    let date: String
    let iso: String
    let event: String
    let from: String
    let to: String
  }
  struct ParticipationRow {
    let group: String
    let invited: String
    let accepted: String
    let attended: String
  }
  struct SummaryView {
    let title: String
    let body: String
    let paragraphs: [String]
    /// The paragraphs as runs of text and citation groups, for HTML links.
    let linkedParagraphs: [LinkedParagraph]
    let status: String
    let hasSources: Bool
    let sources: [SourceView]
  }
  struct LinkedParagraph {
    let runs: [Run]
  }
  /// Plain text, or a citation group `[1, 2]` whose numbers link to their sources.
  struct Run {
    let text: String?
    let isCitation: Bool
    let links: [CitationLink]
  }
  struct CitationLink {
    let number: Int
    /// The source's anchor (`c-src-1`).
    let target: String
    /// This citation's own anchor when it is the source's first citation (`c-cite-1`), for the
    /// way back; nil otherwise.
    let anchor: String?
    /// Whether a comma and space follow (not the group's last).
    let more: Bool
  }
  struct SourceView {
    let number: Int
    let label: String
    /// The source's anchor (`c-src-1`) and its first citation's (`c-cite-1`).
    let anchor: String
    let backTo: String
  }
  struct StatementView {
    let quote: String
    let paragraphs: [String]
    let source: String
    /// The source numbers the workshop's summary cites this statement by, e.g. `[2]`; nil when
    /// it is not cited.
    let citedAs: String?
    /// The anchor of its entry in the summary's sources (`w1-src-2`); nil when not cited.
    let sourceAnchor: String?
  }
  struct StatementTheme {
    let title: String
    let count: String
    let statements: [StatementView]
  }
  struct WorkshopView {
    let title: String
    let date: String
    let venue: String?
    let hosts: String
    let state: String
    let chathamHouse: Bool
    let participation: [ParticipationRow]
    let totalInvited: String
    let totalAccepted: String
    let totalAttended: String
    let summary: SummaryView?
    let hasStatements: Bool
    let statementThemes: [StatementTheme]
    let withheld: String?
    let withheldNote: String?
  }
  struct WrittenRow {
    let theme: String
    let group: String
    let count: String
  }
  struct OrganisationRow {
    let name: String
    let count: String
  }
  struct CampaignRow {
    let number: Int
    let size: String
    let kind: String
    let excerpt: String?
  }
  struct ReceivedRange {
    let first: String
    let last: String
    let sameDay: Bool
  }

  let consultation: ConsultationView
  /// What the workflow calls the document ("Proceedings summary", "Report on the comments").
  let documentTitle: String
  /// What the workflow calls one workshop ("Workshop", "Meeting"), for each workshop's heading.
  let workshopLabel: String
  /// "accepted 197, rejected 2" (written submissions by state), absent when none or all in one state.
  let writtenStates: String?
  /// The record digest the export pins (`CUTOFF:HEX`), when read.
  let recordDigest: String?
  /// The consultation's own summary (absent until drafted).
  let consultationSummary: SummaryView?
  /// When written submissions were received: `first`, `last` (`yyyy-MM-dd`, UTC), `sameDay`.
  let writtenReceived: ReceivedRange?
  let hasNearCampaigns: Bool
  let nearCampaigns: [CampaignRow]
  let writtenNearDistinct: String
  let openedOn: String
  let hasThemes: Bool
  let themes: [ThemeView]
  let timeline: [TimelineRow]
  let workshops: [WorkshopView]
  let writtenTotal: String
  let writtenSubmissions: String
  let hasWritten: Bool
  let writtenRows: [WrittenRow]
  let hasOrganisations: Bool
  let organisations: [OrganisationRow]
  let writtenDistinct: String
  let hasCampaigns: Bool
  let campaigns: [CampaignRow]

  init(_ data: ProceedingsData, style: Style = .markdown) {
    let markdown = style == .markdown
    let cell: (String) -> String = { markdown ? Self.cell($0) : Self.inline($0) }
    let c = data.consultation
    consultation = ConsultationView(
      title: Self.inline(c.title), owner: c.owner.map(Self.inline), slug: c.slug, state: c.state,
      workflowName: c.workflowName, workflowVersion: c.workflowVersion)
    openedOn = Self.format(c.openedAt, "yyyy-MM-dd", zone: "UTC")
    themes = data.themes.enumerated().map { ThemeView(number: $0.offset + 1, title: Self.inline($0.element.title)) }
    hasThemes = !themes.isEmpty
    timeline = data.timeline.map {
      TimelineRow(
        date: Self.format($0.occurredAt, "yyyy-MM-dd HH:mm", zone: "UTC"), iso: Self.iso8601($0.occurredAt),
        event: $0.event,
        from: $0.fromState ?? "—", to: $0.toState)
    }
    let themeTitles = Dictionary(
      uniqueKeysWithValues: data.themes.enumerated().map {
        ($0.element.key, "\($0.offset + 1). \(Self.inline($0.element.title))")
      })
    let workshopIndex = Dictionary(
      data.workshops.enumerated().map { ($0.element.workshop.id, $0.offset + 1) }, uniquingKeysWith: { a, _ in a })
    documentTitle = Self.inline(data.documentTitle)
    workshopLabel = Self.inline(data.workshopLabel)
    writtenStates =
      data.writtenByState.count > 1
      ? data.writtenByState.map { "\($0.state) \(Phrasing.grouped($0.count))" }.joined(separator: ", ") : nil
    recordDigest = data.recordDigest
    consultationSummary = data.consultationSummary.map {
      Self.summaryView($0, title: Self.inline($0.summary.title), prefix: "c")
    }
    writtenReceived = data.writtenReceived.map {
      let first = Self.format($0.lowerBound, "yyyy-MM-dd", zone: "UTC")
      let last = Self.format($0.upperBound, "yyyy-MM-dd", zone: "UTC")
      return ReceivedRange(first: first, last: last, sameDay: first == last)
    }
    nearCampaigns = data.writtenNearCampaigns.enumerated().map {
      CampaignRow(
        number: $0.offset + 1, size: Phrasing.grouped($0.element.size), kind: "near-identical",
        excerpt: $0.element.excerpt.map(cell))
    }
    hasNearCampaigns = !nearCampaigns.isEmpty
    writtenNearDistinct = Phrasing.grouped(data.writtenNearDistinct)
    workshops = data.workshops.map { proceedings in
      let workshop = proceedings.workshop
      let chatham = workshop.chathamHouse
      let prefix = "w\(workshopIndex[workshop.id] ?? 0)"
      let citations = proceedings.summary.map {
        PublishableCitations(
          SummaryProceedings(summary: $0, approvals: proceedings.approvals, citations: proceedings.citations))
      }
      let citedNumbers = Dictionary(
        (citations?.sources ?? []).map { ($0.id, $0.number) }, uniquingKeysWith: { first, _ in first })
      let published = PublishableStatements(proceedings, themes: data.themes)
      let statementThemes = published.themes.map { group in
        StatementTheme(
          title: group.theme.flatMap { themeTitles[$0] } ?? "Without theme",
          count: Phrasing.grouped(group.statements.count),
          statements: group.statements.map {
            let number = citedNumbers[$0.id]
            return StatementView(
              quote: markdown ? Self.blockquote($0.text) : $0.text, paragraphs: Self.paragraphs($0.text),
              source: Self.inline($0.source), citedAs: number.map { "[\($0)]" },
              sourceAnchor: number.map { "\(prefix)-src-\($0)" })
          })
      }
      let withheld = published.withheld
      let summary = proceedings.summary.map { summary in
        Self.summaryView(
          SummaryProceedings(summary: summary, approvals: proceedings.approvals, citations: proceedings.citations),
          title: "Summary of the proceedings", prefix: prefix)
      }
      // Small counts suppressed (CellSuppression): the same cells in every format.
      let counts = proceedings.publishedParticipation
      return WorkshopView(
        title: Self.inline(workshop.title), date: Self.workshopDate(workshop), venue: workshop.venue.map(Self.inline),
        hosts: workshop.hosts.isEmpty ? "—" : workshop.hosts.map(Self.inline).joined(separator: "; "),
        state: workshop.state, chathamHouse: chatham,
        participation: zip(proceedings.participation, counts.rows).map { group, row in
          ParticipationRow(
            group: cell(group.groupName), invited: row[0].text, accepted: row[1].text, attended: row[2].text)
        },
        totalInvited: counts.totals[0].text, totalAccepted: counts.totals[1].text,
        totalAttended: counts.totals[2].text,
        summary: summary, hasStatements: !proceedings.statements.isEmpty, statementThemes: statementThemes,
        withheld: withheld > 0 ? Phrasing.grouped(withheld) : nil,
        withheldNote: withheld > 0
          ? Phrasing.counted(withheld, "statement") + " not for publication "
            + (withheld == 1 ? "is" : "are") + " counted but not shown." : nil)
    }
    writtenTotal = Phrasing.grouped(data.writtenTotal)
    writtenSubmissions = Phrasing.counted(data.writtenTotal, "written submission")
    writtenRows = data.writtenByTheme.flatMap { theme in
      theme.byGroup.map {
        WrittenRow(
          theme: cell(theme.theme.flatMap { themeTitles[$0] } ?? "Without theme"), group: cell($0.group),
          count: Phrasing.grouped($0.count))
      }
    }
    hasWritten = !writtenRows.isEmpty
    organisations = data.writtenOrganisations.map {
      OrganisationRow(name: Self.inline($0.name), count: Phrasing.grouped($0.count))
    }
    hasOrganisations = !organisations.isEmpty
    writtenDistinct = Phrasing.grouped(data.writtenDistinct)
    campaigns = data.writtenCampaigns.enumerated().map {
      CampaignRow(
        number: $0.offset + 1, size: Phrasing.grouped($0.element.size),
        kind: $0.element.kind == .exact ? "identical" : "near-identical", excerpt: $0.element.excerpt.map(cell))
    }
    hasCampaigns = !campaigns.isEmpty
  }

  /// A summary's view: its text with citations numbered in order of first citation, linked runs
  /// for HTML, the approval trail and the numbered sources.
  ///
  /// - Parameters:
  ///   - proceedings: The summary, its approvals and citations.
  ///   - title: The heading to show.
  ///   - prefix: Makes its anchors unique in the document (`c`, `w1`, `w2`…).
  static func summaryView(_ proceedings: SummaryProceedings, title: String, prefix: String) -> SummaryView {
    let summary = proceedings.summary
    let approvals = proceedings.approvals.map {
      "\($0.event) by \($0.actor) on \(format($0.at, "yyyy-MM-dd HH:mm", zone: "UTC")) UTC"
        + ($0.reason.map { " (\($0))" } ?? "")
    }
    let trail = approvals.isEmpty ? "" : "; " + approvals.joined(separator: "; ")
    let citations = PublishableCitations(proceedings)
    let body = citations.numberedBody
    let numbers = Dictionary(citations.sources.map { ($0.id, $0.number) }, uniquingKeysWith: { a, _ in a })
    var firstCited: Set<Int> = []
    let raw = summary.body.isEmpty ? ["(no text yet)"] : paragraphs(summary.body)
    let linked = raw.map { paragraph in
      var runs: [Run] = []
      SummaryCitations.split(paragraph) { text, ids in
        if let text {
          let line = text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: " ")
          runs.append(Run(text: line, isCitation: false, links: []))
        }
        if let ids {
          let links = ids.enumerated().compactMap { index, id -> CitationLink? in
            guard let number = numbers[id] else { return nil }
            let first = firstCited.insert(number).inserted
            return CitationLink(
              number: number, target: "\(prefix)-src-\(number)", anchor: first ? "\(prefix)-cite-\(number)" : nil,
              more: index < ids.count - 1)
          }
          runs.append(Run(text: nil, isCitation: true, links: links))
        }
      }
      return LinkedParagraph(runs: runs)
    }
    return SummaryView(
      title: title, body: body.isEmpty ? "(no text yet)" : body,
      paragraphs: body.isEmpty ? ["(no text yet)"] : paragraphs(body), linkedParagraphs: linked,
      status: "\(summary.title) — revision \(summary.revision), \(summary.state)\(trail).",
      hasSources: !citations.sources.isEmpty,
      sources: citations.sources.map {
        SourceView(
          number: $0.number, label: inline($0.label), anchor: "\(prefix)-src-\($0.number)",
          backTo: "\(prefix)-cite-\($0.number)")
      })
  }

  /// One line of Markdown text: newlines become spaces.
  static func inline(_ text: String) -> String {
    text.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
  }

  /// A GFM table cell: one line, `|` escaped.
  static func cell(_ text: String) -> String {
    inline(text).replacingOccurrences(of: "|", with: "\\|")
  }

  /// Paragraphs of plain text: split at blank lines, each trimmed, empty ones dropped.
  static func paragraphs(_ text: String) -> [String] {
    text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n")
      .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
  }

  /// An instant as ISO 8601 in UTC with seconds, e.g. `2015-09-17T07:30:00Z`.
  static func iso8601(_ date: Date) -> String {
    format(date, "yyyy-MM-dd'T'HH:mm:ss'Z'", zone: "UTC")
  }

  /// A Markdown block quote: every line prefixed with "> ".
  static func blockquote(_ text: String) -> String {
    text.trimmingCharacters(in: .whitespacesAndNewlines)
      .split(separator: "\n", omittingEmptySubsequences: false)
      .map { $0.isEmpty ? ">" : "> " + $0 }
      .joined(separator: "\n")
  }

  /// Formats an instant in a time zone with a fixed POSIX locale (deterministic).
  static func format(_ date: Date, _ pattern: String, zone: String) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: zone) ?? TimeZone(identifier: "UTC")
    formatter.dateFormat = pattern
    return formatter.string(from: date)
  }

  /// "Thursday 17 September 2015, 09:30–17:00 Europe/Berlin (UTC+02:00)"; both
  /// dates when the workshop spans days.
  static func workshopDate(_ workshop: Workshop) -> String {
    let zone = workshop.timeZone
    let startDay = format(workshop.startsAt, "EEEE d MMMM yyyy", zone: zone)
    let endDay = format(workshop.endsAt, "EEEE d MMMM yyyy", zone: zone)
    let start = format(workshop.startsAt, "HH:mm", zone: zone)
    let end = format(workshop.endsAt, "HH:mm", zone: zone)
    let offset = format(workshop.startsAt, "xxx", zone: zone)
    if startDay == endDay {
      return "\(startDay), \(start)–\(end) \(zone) (UTC\(offset))"
    }
    return "\(startDay) \(start) – \(endDay) \(end) \(zone) (UTC\(offset))"
  }
}

/// The statements of one workshop that may be published, grouped by theme
/// (theme order, then untagged), with the attribution label
/// ``AttributionRule`` allows, and how many were withheld. Every format
/// (Markdown, HTML, JSON) is built from this one decision.
struct PublishableStatements {
  /// A publishable statement: its text and the source label the rule allows.
  struct Statement {
    let id: Int64
    let text: String
    let source: String
  }
  /// Statements of one theme (nil: without theme), in the order recorded.
  struct ThemeGroup {
    let theme: String?
    let statements: [Statement]
  }
  let themes: [ThemeGroup]
  /// Statements not for publication (counted, not shown).
  let withheld: Int

  init(_ proceedings: WorkshopProceedings, themes: [Theme]) {
    let order = Dictionary(uniqueKeysWithValues: themes.enumerated().map { ($0.element.key, $0.offset) })
    var publishable: [String?: [Statement]] = [:]
    var withheld = 0
    for statement in proceedings.statements {
      guard let source = AttributionRule.label(for: statement, chathamHouse: proceedings.workshop.chathamHouse) else {
        withheld += 1
        continue
      }
      publishable[statement.theme, default: []].append(
        Statement(id: statement.id, text: statement.text, source: source))
    }
    let keys = publishable.keys.sorted {
      (($0.flatMap { order[$0] }) ?? Int.max, $0 ?? "") < (($1.flatMap { order[$0] }) ?? Int.max, $1 ?? "")
    }
    self.themes = keys.map { ThemeGroup(theme: $0, statements: publishable[$0]!) }
    self.withheld = withheld
  }
}

/// The sources a proceedings summary cites, numbered in order of first
/// citation, described within the attribution rules (``AttributionRule``):
/// a cited contribution not for publication is listed without its source.
struct PublishableCitations {
  /// One numbered source.
  struct Source {
    let number: Int
    let id: Int64
    let kind: String
    let workshop: String?
    /// The attribution the rule allows; nil when the contribution is not for publication.
    let attributedTo: String?
    /// "Statement at workshop cyber (#12) — a participant".
    let label: String
  }
  let sources: [Source]
  /// The body with each `[#12, #15]` replaced by its source numbers, `[1, 2]`.
  let numberedBody: String

  init(_ proceedings: SummaryProceedings) {
    var numbers: [Int64: Int] = [:]
    var sources: [Source] = []
    for cited in proceedings.citations {
      let number = sources.count + 1
      numbers[cited.contribution.id] = number
      let attributedTo = AttributionRule.label(for: cited.contribution, chathamHouse: cited.chathamHouse)
      let what =
        cited.kind == .oralStatement
        ? "Statement at workshop \(cited.workshop ?? "?")" : "Written submission"
      sources.append(
        Source(
          number: number, id: cited.contribution.id, kind: cited.kind.rawValue, workshop: cited.workshop,
          attributedTo: attributedTo,
          label: "\(what) (#\(cited.contribution.id)) — \(attributedTo ?? "not for publication")"))
    }
    self.sources = sources
    let body = proceedings.summary.body
    numberedBody = SummaryCitations.replacing(in: body) { ids in
      "[" + ids.map { numbers[$0].map(String.init) ?? "?" }.joined(separator: ", ") + "]"
    }
  }
}
