import ConsultCore
import Mustache

/// Stored text made safe to place in a Markdown document: whoever renders the document (a
/// CommonMark or GitHub-flavoured renderer, a static site) gets no raw HTML and no link but
/// `http`, `https` and `mailto` from what a participant, an import or an editor wrote.
///
/// - Raw HTML: every `<` becomes `&lt;` (CommonMark 0.31 §6.6 "Raw HTML" and §6.5 "Autolinks"
///   both start with `<`), so `<script>` and `<javascript:…>` show as text.
/// - Links: an inline link or image (`[text](destination)`, §6.3) or a link reference definition
///   (`[label]: destination`, §4.7) whose destination does not begin with `http://`, `https://`
///   or `mailto:` (letter case aside), nor with `#` (a link to a heading of the same document,
///   e.g. `[see](#scope)`), is no link: a backslash before its `(` or `:` (§2.4
///   "Backslash escapes") leaves the characters as they were written, shown as text. So
///   `javascript:`, `data:`, `vbscript:`, relative and entity-disguised destinations
///   (`java&#115;cript:`) never become links.
/// - Footnotes: a footnote definition (`[^1]: text`, pandoc and GFM) stays one unless its first
///   word could be a link destination with a scheme or a host (``isFootnote(closingAt:in:)``).
/// - Everything else, Markdown emphasis and lists included, is left as written (a summary's text
///   is Markdown), and control characters are left to ``OutputText/withoutControls(_:)``,
///   applied to the whole document.
public enum MarkdownSafety {
  /// The destinations a link may have, lower case.
  static let allowedSchemes = ["http://", "https://", "mailto:"]

  /// `text` with raw HTML escaped and links other than `http`, `https` and `mailto` disabled.
  ///
  /// - Parameter text: Stored text or a summary's Markdown.
  /// - Returns: Markdown that renders the same words without raw HTML or unsafe links.
  public static func escape(_ text: String) -> String {
    guard text.contains("<") || text.contains("](") || text.contains("]:") else { return text }
    var scalars = Array(text.unicodeScalars)
    var index = 0
    var result = String.UnicodeScalarView()
    while index < scalars.count {
      let scalar = scalars[index]
      if scalar == "<" {
        result.append(contentsOf: "&lt;".unicodeScalars)
      } else if scalar == "]", index + 1 < scalars.count, scalars[index + 1] == "(" || scalars[index + 1] == ":",
        !isAllowed(destinationAfter: index + 2, in: scalars),
        !(scalars[index + 1] == ":" && isFootnote(closingAt: index, in: scalars))
      {
        result.append("]")
        result.append("\\")
        result.append(scalars[index + 1])
        index += 2
        continue
      } else {
        result.append(scalar)
      }
      index += 1
    }
    scalars.removeAll()
    return String(result)
  }

  /// Whether the link destination that starts at `start` (after optional spaces, tabs and one
  /// line break, and an opening `<`) begins with an allowed scheme or is a fragment (`#…`, a
  /// place in the same document).
  static func isAllowed(destinationAfter start: Int, in scalars: [Unicode.Scalar]) -> Bool {
    var index = start
    var lineBreaks = 0
    while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" || scalars[index] == "\n" {
      if scalars[index] == "\n" { lineBreaks += 1 }
      index += 1
    }
    if lineBreaks > 1 { return true }  // a blank line: no destination follows, so no link
    if index < scalars.count, scalars[index] == "<" { index += 1 }
    let rest = String(String.UnicodeScalarView(scalars[index..<min(scalars.count, index + 8)])).lowercased()
    return rest.hasPrefix("#") || allowedSchemes.contains { rest.hasPrefix($0) }
  }

  /// Whether the `]:` at `index` ends a footnote definition's label (`[^1]: As the workshop
  /// heard.`, pandoc and GFM) whose text cannot be a link destination in a renderer without
  /// footnotes: its first word has no `:` (no scheme) and does not begin with `//`.
  static func isFootnote(closingAt index: Int, in scalars: [Unicode.Scalar]) -> Bool {
    var open = index - 1
    while open >= 0, scalars[open] != "[", scalars[open] != "\n", scalars[open] != "]" { open -= 1 }
    guard open >= 0, scalars[open] == "[", open + 1 < index, scalars[open + 1] == "^" else { return false }
    var start = index + 2
    while start < scalars.count, scalars[start] == " " || scalars[start] == "\t" { start += 1 }
    var end = start
    while end < scalars.count, scalars[end] != " ", scalars[end] != "\t", scalars[end] != "\n" { end += 1 }
    let word = scalars[start..<end]
    return !word.contains(":") && !word.starts(with: ["/", "/"]) && !word.starts(with: ["<"])
  }

  /// The Mustache content type of Markdown templates (`{{% CONTENT_TYPE: MARKDOWN}}`): every
  /// `{{value}}` passes through ``escape(_:)``; `{{{value}}}` is written as it is.
  struct ContentType: MustacheContentType {
    func escapeText(_ text: String) -> String { MarkdownSafety.escape(text) }
  }

  /// The content type's name in a template's pragma.
  static let contentTypeName = "MARKDOWN"

  /// Registers ``ContentType`` with Mustache (idempotent); before a Markdown template is parsed.
  static let registered: Void = {
    MustacheContentTypes.register(ContentType(), named: contentTypeName)
  }()
}
