import ConsultDrafting
import ConsultExport
import Testing

/// The rendered diff of two revisions: statuses, CriticMarkup in Markdown, escaped HTML.
@Suite("Draft diff rendering")
struct DraftDiffRendererTests {
  static func changes() throws -> [SectionChange] {
    let old = try DraftDocument.sections(of: "# A {#a}\n\nKeep <b>this</b> & that.\n\n# B {#b}\n\nGone soon.")
    let new = try DraftDocument.sections(of: "# A, renamed {#a}\n\nKeep <b>these</b> & that.\n\n# C {#c}\n\nNew.")
    return DraftDiff.compare(old, new)
  }

  @Test func markdownUsesCriticMarkupAndNamesEachChange() throws {
    let text = DraftDiffRenderer().render(try Self.changes(), title: "Paper", from: 1, to: 2, format: .markdown)
    #expect(text.hasPrefix("# Paper: revision 1 → 2\n\nSections: 1 added, 1 removed, 1 changed.\n"))
    #expect(text.contains("Heading: {--A--}{++A, renamed++}"))
    // Raw HTML is shown as text (MarkdownSafety), not passed to whoever renders the diff.
    #expect(text.contains("Keep {--&lt;b>this&lt;/b>--}{++&lt;b>these&lt;/b>++} & that."))
    #expect(text.contains("## B {#b}\n\n*removed*\n\n{--Gone soon.--}"))
    #expect(text.contains("## C {#c}\n\n*added*\n\n{++New.++}"))
  }

  @Test func htmlEscapesEveryText() throws {
    let html = DraftDiffRenderer().render(try Self.changes(), title: "<Paper>", from: 1, to: 2, format: .html)
    #expect(html.contains("<title>&lt;Paper&gt;: revision 1 → 2</title>"))
    #expect(html.contains("Keep <del>&lt;b&gt;this&lt;/b&gt;</del><ins>&lt;b&gt;these&lt;/b&gt;</ins> &amp; that."))
    #expect(!html.contains("<b>"))
    #expect(html.contains("<section id=\"c\">"))
  }
}
