import ConsultCore
import ConsultStore
import Foundation
import Mustache

/// Renders a proceedings summary as Markdown (CommonMark with GFM tables)
/// from a Mustache template.
///
/// Output is deterministic: the same ``ProceedingsData`` gives byte-identical
/// text (stable ordering, fixed `en_US_POSIX` formatting, no export time).
/// Names reach the template only through ``AttributionRule``.
public struct MarkdownExporter {
  /// The template shipped with consult (see ``defaultTemplate``) or a user's own.
  let template: MustacheTemplate

  /// Makes an exporter.
  ///
  /// - Parameter template: Mustache source; nil uses ``defaultTemplate``. Its
  ///   `{{value}}`s are escaped for Markdown (``MarkdownSafety``: no raw HTML, no link but
  ///   `http`, `https` and `mailto`; nothing HTML-escaped otherwise) unless it sets another
  ///   content type itself (`{{% CONTENT_TYPE: HTML}}`); `{{{value}}}` writes a value as it is.
  /// - Throws: ``TemplateError`` for a malformed template.
  public init(template: String? = nil) throws {
    MarkdownSafety.registered
    self.template = try TemplateError.parse(
      template.map { "{{% CONTENT_TYPE: \(MarkdownSafety.contentTypeName)}}" + $0 } ?? Self.defaultTemplate)
  }

  /// Renders the summary.
  ///
  /// - Parameter data: What the store read (``ConsultStore/proceedings(of:)``).
  /// - Returns: Markdown text ending in a newline, holding no control character but tab and
  ///   line feed (``OutputText/withoutControls(_:)``).
  public func render(_ data: ProceedingsData) -> String {
    var text = OutputText.withoutControls(template.render(ProceedingsView(data, style: .markdown)))
    while text.hasSuffix("\n\n") { text.removeLast() }
    if !text.hasSuffix("\n") { text += "\n" }
    return text
  }

  /// The shipped template (Markdown content type: every `{{value}}` is escaped by
  /// ``MarkdownSafety/escape(_:)``).
  ///
  /// A template of your own gets the same context. Its keys: `consultation`
  /// (`title`, `owner`, `slug`, `state`, `workflowName`, `workflowVersion`),
  /// `openedOn`, `hasThemes`, `themes` (`number`, `title`), `timeline`
  /// (`date`, `iso`, `event`, `from`, `to`), `workshops` (`title`, `date`,
  /// `venue`, `hosts`, `state`, `chathamHouse`, `participation` (`group`,
  /// `invited`, `accepted`, `attended`), `totalInvited`, `totalAccepted`,
  /// `totalAttended`, `summary` (`body`, `paragraphs`, `status`),
  /// `hasStatements`, `statementThemes` (`title`, `count`, `statements`
  /// (`quote`, `paragraphs`, `source`)), `withheld`, `withheldNote`), `writtenTotal`,
  /// `writtenSubmissions`, `writtenDistinct`, `hasWritten`, `writtenRows` (`theme`, `group`,
  /// `count`), `hasOrganisations`, `organisations` (`name`, `count`),
  /// `hasCampaigns`, `campaigns` (`number`, `size`, `kind`, `excerpt`), `documentTitle`, `workshopLabel`,
  /// `consultationSummary` (as a workshop's `summary`, with `title`), `writtenSubmissions`,
  /// `writtenReceived` (`first`, `last`, `sameDay`), `hasNearCampaigns`, `nearCampaigns`,
  /// `writtenNearDistinct`; a statement's `citedAs` (`[2]`) and `sourceAnchor`; a summary's
  /// `linkedParagraphs` (`runs`: `text` or `citations`: `number`, `target`, `anchor`, `more`) and a
  /// source's `anchor` and `backTo`. Every
  /// value is already formatted and publishable; names appear only as the
  /// attribution rules allow.
  public static let defaultTemplate = """
    {{% CONTENT_TYPE: MARKDOWN}}
    # {{documentTitle}}: {{consultation.title}}

    {{#consultation.owner}}- **Owner:** {{.}}
    {{/consultation.owner}}
    - **Consultation:** `{{consultation.slug}}`, opened {{openedOn}}
    - **Current phase:** {{consultation.state}}
    - **Workflow:** {{consultation.workflowName}} version {{consultation.workflowVersion}}
    {{#recordDigest}}
    - **Record digest:** `{{.}}` (check with `consult log verify {{consultation.slug}} --digest {{.}}`)
    {{/recordDigest}}

    {{#hasThemes}}
    ## Themes

    {{#themes}}
    {{number}}. {{title}}
    {{/themes}}

    {{/hasThemes}}
    ## Phase timeline

    | Date (UTC) | Event | From | To |
    |---|---|---|---|
    {{#timeline}}
    | {{date}} | {{event}} | {{from}} | {{to}} |
    {{/timeline}}

    {{#consultationSummary}}
    ## {{title}}

    {{body}}

    {{#hasSources}}
    Sources:

    {{#sources}}
    {{number}}. {{label}}
    {{/sources}}

    {{/hasSources}}
    *{{status}}*

    {{/consultationSummary}}
    {{#workshops}}
    ## {{workshopLabel}}: {{title}}

    - **Date:** {{date}}
    {{#venue}}
    - **Venue:** {{.}}
    {{/venue}}
    - **Co-hosts:** {{hosts}}
    - **State:** {{state}}
    {{#chathamHouse}}
    - **Chatham House Rule:** the workshop was held under the Chatham House Rule; statements below are not attributed to any person or organisation.
    {{/chathamHouse}}

    ### Participation by stakeholder group

    | Stakeholder group | Invited | Accepted | Attended |
    |---|---:|---:|---:|
    {{#participation}}
    | {{group}} | {{invited}} | {{accepted}} | {{attended}} |
    {{/participation}}
    | **Total** | {{totalInvited}} | {{totalAccepted}} | {{totalAttended}} |

    {{#summary}}
    ### Summary of the proceedings

    {{body}}

    {{#hasSources}}
    Sources:

    {{#sources}}
    {{number}}. {{label}}
    {{/sources}}

    {{/hasSources}}
    *{{status}}*

    {{/summary}}
    {{#hasStatements}}
    ### Statements by theme

    {{#statementThemes}}
    #### {{title}} ({{count}})

    {{#statements}}
    {{quote}}
    >
    > — {{source}}{{#citedAs}} {{.}}{{/citedAs}}

    {{/statements}}
    {{/statementThemes}}
    {{#withheld}}
    *{{withheldNote}}*

    {{/withheld}}
    {{/hasStatements}}
    {{/workshops}}
    ## Written submissions

    {{writtenSubmissions}}{{#writtenReceived}}, received {{#sameDay}}on {{first}}{{/sameDay}}{{^sameDay}}between {{first}} and {{last}}{{/sameDay}} (UTC){{/writtenReceived}}.{{#hasCampaigns}} {{writtenDistinct}} when identical copies count once{{#hasNearCampaigns}}, {{writtenNearDistinct}} when near-identical texts count once too{{/hasNearCampaigns}}.{{/hasCampaigns}}{{^hasCampaigns}}{{#hasNearCampaigns}} {{writtenNearDistinct}} when near-identical texts count once.{{/hasNearCampaigns}}{{/hasCampaigns}}

    {{#hasWritten}}
    {{#writtenStates}}
    By assessment: {{.}}.

    {{/writtenStates}}
    ### By theme and stakeholder group

    | Theme | Stakeholder group | Submissions |
    |---|---|---:|
    {{#writtenRows}}
    | {{theme}} | {{group}} | {{count}} |
    {{/writtenRows}}

    {{/hasWritten}}
    {{#hasOrganisations}}
    ### Organisations that made written submissions

    {{#organisations}}
    - {{name}} ({{count}})
    {{/organisations}}

    {{/hasOrganisations}}
    {{#hasCampaigns}}
    ### Campaigns: identical texts

    Submissions that send the same text (ignoring case, Unicode form, spacing and HTML entities), each campaign shown once with its size.

    | Campaign | Submissions | Texts | Beginning of the text |
    |---:|---:|---|---|
    {{#campaigns}}
    | {{number}} | {{size}} | {{kind}} | {{#excerpt}}{{.}}{{/excerpt}}{{^excerpt}}*(not for publication)*{{/excerpt}} |
    {{/campaigns}}

    {{/hasCampaigns}}
    {{#hasNearCampaigns}}
    ### Campaigns: near-identical texts

    Submissions whose texts differ only slightly (a word or a sentence added, removed or changed), each campaign shown once with its size, identical copies included.

    | Campaign | Submissions | Texts | Beginning of the text |
    |---:|---:|---|---|
    {{#nearCampaigns}}
    | {{number}} | {{size}} | {{kind}} | {{#excerpt}}{{.}}{{/excerpt}}{{^excerpt}}*(not for publication)*{{/excerpt}} |
    {{/nearCampaigns}}

    {{/hasNearCampaigns}}
    """
}
