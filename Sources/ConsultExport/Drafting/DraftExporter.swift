import ConsultCore
import ConsultDrafting
import ConsultStore
import Foundation

/// A revision of the draft as Markdown for publication or for Word (through pandoc): the text as
/// written, then "Sources", listing per section the contributions (`[#12]`) and comments (`[c3]`)
/// it cites, each attributed only as its contributor's consent and its workshop's rule allow
/// (``AttributionRule``; under the Chatham House Rule, "a participant"). What it writes is made
/// safe for whoever renders it (``published(_:)``): no raw HTML, no link but `http`, `https`,
/// `mailto` and `#anchor`, no control character but tab and line feed.
public struct DraftExporter: Sendable {
  /// Makes an exporter.
  public init() {}

  /// A revision's text alone, as `draft export --without-sources` writes it (the copy to edit in
  /// Word): the body without leading or trailing blank lines, one final newline, through
  /// ``published(_:)``. `draft revise` compares a Word file with this text's round trip.
  ///
  /// - Parameter revision: The revision.
  /// - Returns: Markdown.
  public static func bodyOnly(_ revision: DraftRevision) -> String {
    published(revision.body.trimmingCharacters(in: .whitespacesAndNewlines) + "\n")
  }

  /// Renders a revision with its sources.
  ///
  /// - Parameters:
  ///   - revision: The revision.
  ///   - contributions: The contributions it cites, by id (``ConsultStore/ConsultStore/draftCitedContributions(of:revision:)``).
  ///   - comments: The draft's comments (those cited are listed).
  /// - Returns: Markdown, through ``published(_:)``.
  public func markdown(
    _ revision: DraftRevision, contributions: [Int64: CitedContribution], comments: [DraftComment]
  ) -> String {
    var out = revision.body.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
    let sections = (try? DraftDocument.sections(of: revision.body)) ?? []
    let commentsByID = Dictionary(uniqueKeysWithValues: comments.map { ($0.id, $0) })
    var listed: [String] = []
    for section in sections {
      let cited = DraftDocument.citations(in: TextAnchoring.text(of: section))
      var lines: [String] = []
      for id in cited.contributions {
        guard let found = contributions[id] else { continue }
        let label = AttributionRule.label(for: found.contribution, chathamHouse: found.chathamHouse)
        let kind =
          found.kind == .oralStatement
          ? found.workshop.map { "statement at workshop \($0)" } ?? "statement at a workshop" : "written submission"
        lines.append("- [#\(id)] \(kind), \(label.map(ProceedingsView.inline) ?? "not for publication")")
      }
      for id in cited.comments {
        guard let comment = commentsByID[id] else { continue }
        let label = AttributionRule.label(for: comment.commenter, chathamHouse: false)
        lines.append(
          "- [c\(id)] \(comment.type.rawValue) comment on revision \(comment.revision), "
            + "\(label.map(ProceedingsView.inline) ?? "not for publication"); \(comment.state)")
      }
      if !lines.isEmpty {
        let name = section.heading.isEmpty ? section.anchor : ProceedingsView.inline(section.heading)
        listed.append("### \(name)\n\n" + lines.joined(separator: "\n"))
      }
    }
    if !listed.isEmpty {
      out += "\n## Sources {#sources}\n\n" + listed.joined(separator: "\n\n") + "\n"
    }
    return Self.published(out)
  }

  /// A draft's Markdown made safe to publish, the one rule of every draft export (Markdown, and
  /// HTML and Word through pandoc): raw HTML escaped and links other than `http`, `https`,
  /// `mailto` and `#anchor` disabled (``MarkdownSafety/escape(_:)``), then every control
  /// character but tab and line feed replaced (``ConsultCore/OutputText/withoutControls(_:)``).
  ///
  /// - Parameter markdown: A revision's text, or the export built from it.
  /// - Returns: Markdown that renders the same words.
  public static func published(_ markdown: String) -> String {
    OutputText.withoutControls(MarkdownSafety.escape(markdown))
  }
}
