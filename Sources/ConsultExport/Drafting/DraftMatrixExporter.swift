import ConsultCore
import ConsultDrafting
import ConsultStore
import Foundation

/// The comment resolution matrix of a draft: one row per comment with the columns of the ISO
/// commenting template (commenter, section / line, type, comment, proposed change, the drafting
/// team's decision and response), the revision that resolved it, the comment's state and where the
/// passage is now.
/// Commenters are shown as their consent allows (``AttributionRule``, as in every export); the text
/// and proposed change of a comment not for publication are withheld, its row kept.
public struct DraftMatrixExporter: Sendable {
  /// The formats it writes itself (`docx` is converted from `html` by the CLI, through pandoc).
  public enum Format: String, Sendable, CaseIterable {
    /// RFC 4180 CSV (the project's CSV writer), header ``DraftMatrixExporter/columns``.
    case csv
    /// A GFM table.
    case markdown
    /// One self-contained HTML page, every value escaped.
    case html
  }

  /// The CSV header.
  public static let columns = [
    "id", "commenter", "published_as", "section", "line", "type", "passage", "comment", "proposed_change", "decision",
    "response", "resolved_in", "state", "revision", "anchor_now",
  ]

  /// What withheld text reads as.
  public static let withheld = "(not for publication)"

  /// Makes an exporter.
  public init() {}

  /// Renders the matrix.
  ///
  /// - Parameters:
  ///   - comments: The draft's comments (``ConsultStore/ConsultStore/comments(in:id:)``), oldest first.
  ///   - draft: The draft (title, latest revision).
  ///   - format: csv, markdown or html.
  /// - Returns: UTF-8 bytes: CSV cells through ``ConsultCore/OutputText/csvCell(_:)``, Markdown
  ///   through ``DraftExporter/published(_:)``, HTML escaped; none carries a control character
  ///   but tab and line feed.
  /// - Throws: What the CSV writer throws.
  public func render(_ comments: [DraftComment], draft: Draft, format: Format) throws -> Data {
    let rows = comments.map(Row.init)
    switch format {
    case .csv:
      return try CSVChunk.encode([Self.columns] + rows.map(\.fields))
    case .markdown:
      var out = "# Comment resolution matrix: \(ProceedingsView.inline(draft.title))\n\n"
      out += "Draft of `\(draft.consultation)`, latest revision \(draft.revision) (\(draft.state)); "
      out += Phrasing.counted(rows.count, "comment") + ".\n\n"
      out +=
        "| No. | Commenter | Section / line | Type | Comment | Proposed change | Decision | Response | Resolved in |\n"
      out += "|---|---|---|---|---|---|---|---|---|\n"
      for row in rows {
        out += "| " + row.display.map(ProceedingsView.cell).joined(separator: " | ") + " |\n"
      }
      return Data(DraftExporter.published(out).utf8)
    case .html:
      var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Comment resolution matrix: \(HTMLText.escape(draft.title))</title>
        <style>
        body { font-family: "Helvetica Neue", Arial, sans-serif; margin: 2em; }
        table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
        th, td { border: 1px solid #999; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
        th { background: #eee; }
        </style>
        </head>
        <body>
        <h1>Comment resolution matrix: \(HTMLText.escape(draft.title))</h1>
        <p>Draft of <code>\(HTMLText.escape(draft.consultation))</code>, latest revision \(draft.revision) \
        (\(HTMLText.escape(draft.state))); \(Phrasing.counted(rows.count, "comment")).</p>
        <table>
        <thead><tr><th>No.</th><th>Commenter</th><th>Section / line</th><th>Type</th><th>Comment</th>\
        <th>Proposed change</th><th>Decision</th><th>Response</th><th>Resolved in</th></tr></thead>
        <tbody>

        """
      for row in rows {
        out += "<tr>" + row.display.map { "<td>\(HTMLText.escape($0))</td>" }.joined() + "</tr>\n"
      }
      out += "</tbody>\n</table>\n</body>\n</html>\n"
      return Data(OutputText.withoutControls(out).utf8)
    }
  }

  /// One comment's values, attribution applied.
  struct Row {
    let fields: [String]
    let display: [String]

    init(_ comment: DraftComment) {
      let label = AttributionRule.label(for: comment.commenter, chathamHouse: false)
      let publishedAs = AttributionRule.publishedAs(consent: comment.consent, chathamHouse: false)
      let text = label == nil ? DraftMatrixExporter.withheld : comment.text
      let proposed =
        label == nil
        ? (comment.proposedChange == nil ? "" : DraftMatrixExporter.withheld)
        : (comment.proposedChange ?? "")
      let passage = label == nil ? "" : (comment.quote?.exact ?? "")
      let anchorNow = comment.anchorNow
      fields = [
        "c\(comment.id)", label ?? "", publishedAs ?? "not-for-publication", comment.section, String(comment.line),
        comment.type.rawValue, passage, text, proposed, comment.decision ?? "", comment.response ?? "",
        comment.resolvedIn.map(String.init) ?? "", comment.state, String(comment.revision), anchorNow,
      ]
      let commentCell = passage.isEmpty ? text : "“\(passage)”: \(text)"
      display = [
        "c\(comment.id)", label ?? "—", "\(comment.section) / line \(comment.line) (revision \(comment.revision))",
        comment.type.rawValue, commentCell, proposed,
        comment.decision.map { $0 == comment.state ? $0 : "\($0) (\(comment.state))" } ?? comment.state,
        comment.response ?? "",
        comment.resolvedIn.map { "revision \($0)" } ?? "",
      ]
    }
  }
}

/// Text made safe inside HTML elements and attribute values.
enum HTMLText {
  /// `&`, `<`, `>`, `"` and `'` as character references.
  static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(character)
      }
    }
    return out
  }
}
