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
  /// - Parameter template: Mustache source; nil uses ``defaultTemplate``.
  /// - Throws: The Mustache parser's error for a malformed template.
  public init(template: String? = nil) throws {
    self.template = try MustacheTemplate(string: template ?? Self.defaultTemplate)
  }

  /// Renders the summary.
  ///
  /// - Parameter data: What the store read (``ConsultStore/proceedings(of:)``).
  /// - Returns: Markdown text ending in a newline.
  public func render(_ data: ProceedingsData) -> String {
    var text = template.render(ProceedingsView(data, style: .markdown))
    while text.hasSuffix("\n\n") { text.removeLast() }
    if !text.hasSuffix("\n") { text += "\n" }
    return text
  }

  /// The shipped template. Context keys: see `ProceedingsView`.
  public static let defaultTemplate = """
    {{% CONTENT_TYPE: TEXT}}
    # Proceedings summary: {{consultation.title}}

    {{#consultation.owner}}- **Owner:** {{.}}
    {{/consultation.owner}}
    - **Consultation:** `{{consultation.slug}}`, opened {{openedOn}}
    - **Current phase:** {{consultation.state}}
    - **Workflow:** {{consultation.workflowName}} version {{consultation.workflowVersion}}

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

    {{#workshops}}
    ## Workshop: {{title}}

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

    {{{body}}}

    *{{status}}*

    {{/summary}}
    {{#hasStatements}}
    ### Statements by theme

    {{#statementThemes}}
    #### {{title}} ({{count}})

    {{#statements}}
    {{{quote}}}
    >
    > — {{source}}

    {{/statements}}
    {{/statementThemes}}
    {{#withheld}}
    *{{.}} statement(s) not for publication are counted but not shown.*

    {{/withheld}}
    {{/hasStatements}}
    {{/workshops}}
    ## Written submissions

    {{writtenTotal}} written submission(s).

    {{#hasWritten}}
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
    """
}
