import ConsultCore
import ConsultDrafting
import Foundation

/// Renders a section-aware comparison of two revisions (``ConsultDrafting/DraftDiff``): a heading
/// per section saying whether it was added, removed, moved or changed, and inside a changed
/// section the word-level changes — CriticMarkup (`{++inserted++}`, `{--deleted--}`) in Markdown,
/// `<ins>`/`<del>` in HTML, every text escaped there. Markdown goes through
/// ``DraftExporter/published(_:)`` (no raw HTML, no unsafe link); neither format carries a control
/// character but tab and line feed (``ConsultCore/OutputText/withoutControls(_:)``).
public struct DraftDiffRenderer: Sendable {
  /// Output formats.
  public enum Format: String, Sendable, CaseIterable {
    /// Markdown with CriticMarkup.
    case markdown
    /// One self-contained HTML page.
    case html
  }

  /// Makes a renderer.
  public init() {}

  /// What happened to a section, in words: "added", "removed", "moved", "changed", "moved and
  /// changed", "unchanged".
  public static func status(_ change: SectionChange) -> String {
    if change.isAdded { return "added" }
    if change.isRemoved { return "removed" }
    switch (change.isMoved, change.isChanged) {
    case (true, true): return "moved and changed"
    case (true, false): return "moved"
    case (false, true): return "changed"
    case (false, false): return "unchanged"
    }
  }

  /// Renders the comparison.
  ///
  /// - Parameters:
  ///   - changes: From ``ConsultDrafting/DraftDiff/compare(_:_:)``.
  ///   - title: The draft's title.
  ///   - from: The older revision's number.
  ///   - to: The newer revision's number.
  ///   - format: markdown or html.
  /// - Returns: The text.
  public func render(_ changes: [SectionChange], title: String, from: Int, to: Int, format: Format) -> String {
    let tally: [(String, Int)] = [
      ("added", changes.filter(\.isAdded).count), ("removed", changes.filter(\.isRemoved).count),
      ("moved", changes.filter(\.isMoved).count), ("changed", changes.filter(\.isChanged).count),
    ]
    let counts: [String] = tally.filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }
    let summary = counts.isEmpty ? "No section changed." : "Sections: " + counts.joined(separator: ", ") + "."
    switch format {
    case .markdown:
      var out = "# \(ProceedingsView.inline(title)): revision \(from) → \(to)\n\n\(summary)\n"
      for change in changes where !change.isUnchanged {
        let heading = change.newHeading ?? change.oldHeading ?? change.anchor
        out += "\n## \(ProceedingsView.inline(heading.isEmpty ? change.anchor : heading)) {#\(change.anchor)}\n\n"
        out += "*\(Self.status(change))*\n\n"
        if let old = change.oldHeading, let new = change.newHeading, old != new {
          out += "Heading: {--\(ProceedingsView.inline(old))--}{++\(ProceedingsView.inline(new))++}\n\n"
        }
        if change.pieces.contains(where: { if case .same = $0 { false } else { true } }) {
          out +=
            change.pieces.map { piece in
              switch piece {
              case .same(let text): text
              case .inserted(let text): "{++\(text)++}"
              case .deleted(let text): "{--\(text)--}"
              }
            }.joined() + "\n"
        }
      }
      return DraftExporter.published(out)
    case .html:
      var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(HTMLText.escape(title)): revision \(from) → \(to)</title>
        <style>
        body { font-family: "Helvetica Neue", Arial, sans-serif; margin: 2em; max-width: 50em; }
        ins { background: #d4f7d4; text-decoration: none; } del { background: #f7d4d4; }
        .status { color: #555; font-style: italic; } .text { white-space: pre-wrap; }
        </style>
        </head>
        <body>
        <h1>\(HTMLText.escape(title)): revision \(from) → \(to)</h1>
        <p>\(HTMLText.escape(summary))</p>

        """
      for change in changes where !change.isUnchanged {
        let heading = change.newHeading ?? change.oldHeading ?? change.anchor
        out += "<section id=\"\(HTMLText.escape(change.anchor))\">\n"
        out += "<h2>\(HTMLText.escape(heading.isEmpty ? change.anchor : heading))</h2>\n"
        out += "<p class=\"status\">\(Self.status(change))</p>\n"
        if let old = change.oldHeading, let new = change.newHeading, old != new {
          out += "<p>Heading: <del>\(HTMLText.escape(old))</del><ins>\(HTMLText.escape(new))</ins></p>\n"
        }
        if change.pieces.contains(where: { if case .same = $0 { false } else { true } }) {
          out +=
            "<div class=\"text\">"
            + change.pieces.map { piece in
              switch piece {
              case .same(let text): HTMLText.escape(text)
              case .inserted(let text): "<ins>\(HTMLText.escape(text))</ins>"
              case .deleted(let text): "<del>\(HTMLText.escape(text))</del>"
              }
            }.joined() + "</div>\n"
        }
        out += "</section>\n"
      }
      return OutputText.withoutControls(out + "</body>\n</html>\n")
    }
  }
}
