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
  /// - Returns: An HTML document (UTF-8 text) ending in a newline.
  public func render(_ data: ProceedingsData) -> String {
    var text = template.render(ProceedingsView(data, style: .html))
    while text.hasSuffix("\n\n") { text.removeLast() }
    if !text.hasSuffix("\n") { text += "\n" }
    return text
  }

  /// The shipped template (HTML content type: `{{…}}` escapes). Context keys: see `ProceedingsView`.
  public static let defaultTemplate = """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Proceedings summary: {{consultation.title}}</title>
    <style>
    body { font-family: Georgia, "Times New Roman", serif; line-height: 1.5; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; color: #111; background: #fff; }
    h1, h2, h3, h4 { font-family: "Helvetica Neue", Arial, sans-serif; line-height: 1.25; }
    table { border-collapse: collapse; margin: 1rem 0; width: 100%; }
    th, td { border: 1px solid #999; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
    td.number, th.number { text-align: right; }
    blockquote { margin: 1rem 0; padding-left: 1rem; border-left: 4px solid #999; }
    blockquote footer { font-style: italic; }
    .note { font-style: italic; }
    @media print {
      body { max-width: none; margin: 0; font-size: 11pt; }
      h2 { page-break-before: auto; break-after: avoid; }
      h3, h4 { break-after: avoid; }
      table, blockquote { break-inside: avoid; }
      a { color: inherit; text-decoration: none; }
    }
    </style>
    </head>
    <body>
    <main>
    <h1>Proceedings summary: {{consultation.title}}</h1>
    <ul>
    {{#consultation.owner}}<li><strong>Owner:</strong> {{.}}</li>
    {{/consultation.owner}}
    <li><strong>Consultation:</strong> <code>{{consultation.slug}}</code>, opened {{openedOn}}</li>
    <li><strong>Current phase:</strong> {{consultation.state}}</li>
    <li><strong>Workflow:</strong> {{consultation.workflowName}} version {{consultation.workflowVersion}}</li>
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
    {{#workshops}}
    <section>
    <h2>Workshop: {{title}}</h2>
    <ul>
    <li><strong>Date:</strong> {{date}}</li>
    {{#venue}}
    <li><strong>Venue:</strong> {{.}}</li>
    {{/venue}}
    <li><strong>Co-hosts:</strong> {{hosts}}</li>
    <li><strong>State:</strong> {{state}}</li>
    {{#chathamHouse}}
    <li><strong>Chatham House Rule:</strong> the workshop was held under the Chatham House Rule; statements below are not attributed to any person or organisation.</li>
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
    {{#paragraphs}}
    <p>{{.}}</p>
    {{/paragraphs}}
    <p class="note">{{status}}</p>
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
    <footer>— {{source}}</footer>
    </blockquote>
    {{/statements}}
    {{/statementThemes}}
    {{#withheld}}
    <p class="note">{{.}} statement(s) not for publication are counted but not shown.</p>
    {{/withheld}}
    {{/hasStatements}}
    </section>
    {{/workshops}}
    <h2>Written submissions</h2>
    <p>{{writtenTotal}} written submission(s).</p>
    {{#hasWritten}}
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
    </main>
    </body>
    </html>
    """
}
