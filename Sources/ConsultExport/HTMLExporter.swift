import ConsultCore
import ConsultStore
import Foundation
import Mustache

/// Renders a proceedings summary as one self-contained HTML5 file (inline
/// CSS with a print stylesheet, no scripts, no external resources) from a
/// Mustache template.
///
/// Every value reaches the page through Mustache's default HTML content type,
/// which escapes `<`, `>`, `&`, `"` and `'`; the shipped template uses no
/// triple braces. Headings nest h1 > h2 > h3 > h4, tables have
/// `<th scope="col">` headers (WCAG 2.1, technique H63). Output is
/// deterministic like ``MarkdownExporter``'s. Names reach the template only
/// through ``AttributionRule``.
public struct HTMLExporter {
  /// The template shipped with consult (see ``defaultTemplate``) or a user's own.
  let template: MustacheTemplate
  /// The partials a template may use: `summary-body` (``summaryBodyPartial``), a summary's
  /// paragraphs with their citation links, its sources and its status line.
  let partials: MustacheLibrary

  /// Makes an exporter.
  ///
  /// - Parameter template: Mustache source; nil uses ``defaultTemplate``.
  /// - Throws: ``TemplateError`` for a malformed template.
  public init(template: String? = nil) throws {
    self.template = try TemplateError.parse(template ?? Self.defaultTemplate)
    self.partials = MustacheLibrary(templates: ["summary-body": try TemplateError.parse(Self.summaryBodyPartial)])
  }

  /// Renders the summary.
  ///
  /// - Parameter data: What the store read (``ConsultStore/proceedings(of:)``).
  /// - Returns: An HTML document (UTF-8 text) ending in a newline, holding no control
  ///   character but tab and line feed (``OutputText/withoutControls(_:)``; HTML §13.2.5 makes
  ///   the others parse errors).
  public func render(_ data: ProceedingsData) -> String {
    var text = OutputText.withoutControls(template.render(ProceedingsView(data, style: .html), library: partials))
    while text.hasSuffix("\n\n") { text.removeLast() }
    if !text.hasSuffix("\n") { text += "\n" }
    return text
  }

  /// The `summary-body` partial (`{{> summary-body}}`), shared by a workshop's and the
  /// consultation's summary in ``defaultTemplate`` and usable in a user's template: the summary's
  /// paragraphs with their citation links, its numbered sources with links back, and its status.
  public static let summaryBodyPartial = """
    {{#linkedParagraphs}}
    <p>{{#runs}}{{#text}}{{.}}{{/text}}{{#isCitation}}[{{#links}}<a href="#{{target}}"{{#anchor}} id="{{.}}"{{/anchor}}>{{number}}</a>{{#more}}, {{/more}}{{/links}}]{{/isCitation}}{{/runs}}</p>
    {{/linkedParagraphs}}
    {{#hasSources}}
    <p>Sources:</p>
    <ol class="sources">
    {{#sources}}
    <li value="{{number}}" id="{{anchor}}">{{label}} <a href="#{{backTo}}" aria-label="Back to the first citation">↩</a></li>
    {{/sources}}
    </ol>
    {{/hasSources}}
    <p class="note">{{status}}</p>

    """

  /// ``defaultTemplate`` with its partials written out in place: a copy a user can edit whole
  /// (`consult export template --format html`); it renders the same.
  public static var standaloneTemplate: String {
    defaultTemplate.replacingOccurrences(of: "{{> summary-body}}\n", with: summaryBodyPartial)
  }

  /// The shipped template (HTML content type: `{{…}}` escapes, `{{{…}}}` does not).
  ///
  /// A template of your own gets the same context as the Markdown one; its
  /// keys are listed at ``MarkdownExporter/defaultTemplate``. Values are plain
  /// text: use `paragraphs` (not `body` or `quote`, which are Markdown) for
  /// the summary and statements.
  public static let defaultTemplate = """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{documentTitle}}: {{consultation.title}}</title>
    <style>
    body { font-family: Georgia, "Times New Roman", serif; line-height: 1.45; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; background: #fff; }
    h1, h2, h3, h4 { font-family: "Helvetica Neue", Arial, sans-serif; line-height: 1.25; color: #123; margin: 1.6em 0 0.5em; }
    h1 { font-size: 1.8rem; margin-top: 0; padding-bottom: 0.4rem; border-bottom: 3px solid #123; }
    h2 { font-size: 1.35rem; padding-bottom: 0.2rem; border-bottom: 1px solid #ccc; }
    h3 { font-size: 1.1rem; }
    h4 { font-size: 1rem; color: #345; }
    ul.facts { list-style: none; padding-left: 0; }
    ul.facts li { margin: 0.15rem 0; }
    ul.facts strong { font-family: "Helvetica Neue", Arial, sans-serif; font-size: 0.9em; color: #345; }
    li.rule { margin-top: 0.5rem; padding: 0.4rem 0.6rem; background: #f4f1e6; border-left: 4px solid #b58900; }
    table { border-collapse: collapse; margin: 0.75rem 0 1rem; width: 100%; font-size: 0.95em; }
    th, td { border-bottom: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
    thead th { font-family: "Helvetica Neue", Arial, sans-serif; font-size: 0.9em; background: #eef1f4; border-bottom: 2px solid #789; }
    tfoot td { border-top: 2px solid #789; border-bottom: none; }
    td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
    blockquote { margin: 0.75rem 0; padding: 0.1rem 1rem; border-left: 4px solid #9ab; background: #f7f9fa; }
    blockquote p { margin: 0.5rem 0; }
    blockquote footer { font-style: italic; color: #456; margin-bottom: 0.4rem; }
    .note { font-style: italic; color: #456; }
    @media print {
      body { max-width: none; margin: 0; font-size: 11pt; }
      thead th, li.rule, blockquote { background: none; }
      h2 { page-break-before: auto; break-after: avoid; }
      h3, h4 { break-after: avoid; }
      table, blockquote { break-inside: avoid; }
      a { color: inherit; text-decoration: none; }
    }
    </style>
    </head>
    <body>
    <main>
    <h1>{{documentTitle}}: {{consultation.title}}</h1>
    <ul class="facts">
    {{#consultation.owner}}<li><strong>Owner:</strong> {{.}}</li>
    {{/consultation.owner}}
    <li><strong>Consultation:</strong> <code>{{consultation.slug}}</code>, opened {{openedOn}}</li>
    <li><strong>Current phase:</strong> {{consultation.state}}</li>
    <li><strong>Workflow:</strong> {{consultation.workflowName}} version {{consultation.workflowVersion}}</li>
    {{#recordDigest}}<li><strong>Record digest:</strong> <code>{{.}}</code></li>
    {{/recordDigest}}
    </ul>
    {{#hasThemes}}
    <h2>Themes</h2>
    <ol>
    {{#themes}}
    <li>{{title}}</li>
    {{/themes}}
    </ol>
    {{/hasThemes}}
    <h2>Phase timeline</h2>
    <table>
    <thead><tr><th scope="col">Date (UTC)</th><th scope="col">Event</th><th scope="col">From</th><th scope="col">To</th></tr></thead>
    <tbody>
    {{#timeline}}
    <tr><td><time datetime="{{iso}}">{{date}}</time></td><td>{{event}}</td><td>{{from}}</td><td>{{to}}</td></tr>
    {{/timeline}}
    </tbody>
    </table>
    {{#consultationSummary}}
    <section>
    <h2>{{title}}</h2>
    {{> summary-body}}
    </section>
    {{/consultationSummary}}
    {{#workshops}}
    <section>
    <h2>{{workshopLabel}}: {{title}}</h2>
    <ul class="facts">
    <li><strong>Date:</strong> {{date}}</li>
    {{#venue}}
    <li><strong>Venue:</strong> {{.}}</li>
    {{/venue}}
    <li><strong>Co-hosts:</strong> {{hosts}}</li>
    <li><strong>State:</strong> {{state}}</li>
    {{#chathamHouse}}
    <li class="rule"><strong>Chatham House Rule:</strong> the workshop was held under the Chatham House Rule; statements below are not attributed to any person or organisation.</li>
    {{/chathamHouse}}
    </ul>
    <h3>Participation by stakeholder group</h3>
    <table>
    <thead><tr><th scope="col">Stakeholder group</th><th scope="col" class="number">Invited</th><th scope="col" class="number">Accepted</th><th scope="col" class="number">Attended</th></tr></thead>
    <tbody>
    {{#participation}}
    <tr><td>{{group}}</td><td class="number">{{invited}}</td><td class="number">{{accepted}}</td><td class="number">{{attended}}</td></tr>
    {{/participation}}
    </tbody>
    <tfoot><tr><td><strong>Total</strong></td><td class="number">{{totalInvited}}</td><td class="number">{{totalAccepted}}</td><td class="number">{{totalAttended}}</td></tr></tfoot>
    </table>
    {{#summary}}
    <h3>Summary of the proceedings</h3>
    {{> summary-body}}
    {{/summary}}
    {{#hasStatements}}
    <h3>Statements by theme</h3>
    {{#statementThemes}}
    <h4>{{title}} ({{count}})</h4>
    {{#statements}}
    <blockquote>
    {{#paragraphs}}
    <p>{{.}}</p>
    {{/paragraphs}}
    <footer>— {{source}}{{#sourceAnchor}} <a href="#{{.}}">{{/sourceAnchor}}{{#citedAs}}{{.}}</a>{{/citedAs}}</footer>
    </blockquote>
    {{/statements}}
    {{/statementThemes}}
    {{#withheld}}
    <p class="note">{{withheldNote}}</p>
    {{/withheld}}
    {{/hasStatements}}
    </section>
    {{/workshops}}
    <h2>Written submissions</h2>
    <p>{{writtenSubmissions}}{{#writtenReceived}}, received {{#sameDay}}on {{first}}{{/sameDay}}{{^sameDay}}between {{first}} and {{last}}{{/sameDay}} (UTC){{/writtenReceived}}.{{#hasCampaigns}} {{writtenDistinct}} when identical copies count once{{#hasNearCampaigns}}, {{writtenNearDistinct}} when near-identical texts count once too{{/hasNearCampaigns}}.{{/hasCampaigns}}{{^hasCampaigns}}{{#hasNearCampaigns}} {{writtenNearDistinct}} when near-identical texts count once.{{/hasNearCampaigns}}{{/hasCampaigns}}</p>
    {{#hasWritten}}
    {{#writtenStates}}<p>By assessment: {{.}}.</p>
    {{/writtenStates}}
    <h3>By theme and stakeholder group</h3>
    <table>
    <thead><tr><th scope="col">Theme</th><th scope="col">Stakeholder group</th><th scope="col" class="number">Submissions</th></tr></thead>
    <tbody>
    {{#writtenRows}}
    <tr><td>{{theme}}</td><td>{{group}}</td><td class="number">{{count}}</td></tr>
    {{/writtenRows}}
    </tbody>
    </table>
    {{/hasWritten}}
    {{#hasOrganisations}}
    <h3>Organisations that made written submissions</h3>
    <ul>
    {{#organisations}}
    <li>{{name}} ({{count}})</li>
    {{/organisations}}
    </ul>
    {{/hasOrganisations}}
    {{#hasCampaigns}}
    <h3>Campaigns: identical texts</h3>
    <p>Submissions that send the same text (ignoring case, Unicode form, spacing and HTML entities), each campaign shown once with its size.</p>
    <table>
    <thead><tr><th scope="col" class="number">Campaign</th><th scope="col" class="number">Submissions</th><th scope="col">Texts</th><th scope="col">Beginning of the text</th></tr></thead>
    <tbody>
    {{#campaigns}}
    <tr><td class="number">{{number}}</td><td class="number">{{size}}</td><td>{{kind}}</td><td>{{#excerpt}}{{.}}{{/excerpt}}{{^excerpt}}<em>(not for publication)</em>{{/excerpt}}</td></tr>
    {{/campaigns}}
    </tbody>
    </table>
    {{/hasCampaigns}}
    {{#hasNearCampaigns}}
    <h3>Campaigns: near-identical texts</h3>
    <p>Submissions whose texts differ only slightly (a word or a sentence added, removed or changed), each campaign shown once with its size, identical copies included.</p>
    <table>
    <thead><tr><th scope="col" class="number">Campaign</th><th scope="col" class="number">Submissions</th><th scope="col">Texts</th><th scope="col">Beginning of the text</th></tr></thead>
    <tbody>
    {{#nearCampaigns}}
    <tr><td class="number">{{number}}</td><td class="number">{{size}}</td><td>{{kind}}</td><td>{{#excerpt}}{{.}}{{/excerpt}}{{^excerpt}}<em>(not for publication)</em>{{/excerpt}}</td></tr>
    {{/nearCampaigns}}
    </tbody>
    </table>
    {{/hasNearCampaigns}}
    </main>
    </body>
    </html>
    """
}
