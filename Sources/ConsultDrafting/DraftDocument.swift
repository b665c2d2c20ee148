import Foundation

/// A draft's Markdown text cut into sections at its ATX headings (`#` … `######`), each with a
/// stable anchor: the explicit `{#anchor}` the author wrote after the heading (Pandoc's header
/// attribute syntax), else a key derived from the heading's own text alone, so that editing,
/// adding or removing other sections never changes it.
public struct DraftSection: Sendable, Equatable, Hashable {
  /// The anchor: `[a-z0-9][a-z0-9._-]*`; `preamble` for the text before the first heading.
  public let anchor: String
  /// Whether the author wrote the anchor (`{#anchor}`) rather than it being derived.
  public let isExplicit: Bool
  /// The heading level, 1–6; 0 for the preamble.
  public let level: Int
  /// The heading's text without the `#` marks and the `{#anchor}`; empty for the preamble.
  public let heading: String
  /// The text between this heading and the next (no leading or trailing blank lines).
  public let body: String
  /// The 1-based line of the heading in the document (1 for the preamble).
  public let line: Int

  /// Makes a section; ``DraftDocument/sections(of:)`` is the usual source.
  public init(anchor: String, isExplicit: Bool, level: Int, heading: String, body: String, line: Int) {
    self.anchor = anchor
    self.isExplicit = isExplicit
    self.level = level
    self.heading = heading
    self.body = body
    self.line = line
  }
}

/// A problem in a draft's Markdown, with its 1-based line.
public struct DraftTextError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The 1-based line.
  public let line: Int
  /// What is wrong.
  public let message: String

  /// Makes an error.
  public init(line: Int, _ message: String) {
    self.line = line
    self.message = message
  }

  /// "line N: message".
  public var description: String { "line \(line): \(message)" }
}

/// Reads the structure of a draft's Markdown text: sections and their anchors, and the
/// citations of contributions (`[#12]`) and comments (`[c3]`) in it. Pure: no I/O.
public enum DraftDocument {
  /// The largest revision consult records, in bytes of UTF-8: 1,000,000, the limit of a
  /// contribution's text (`ContributionText.maxBytes`); a paper is tens of kilobytes. `consult
  /// draft new` and `draft revise` refuse a longer file, naming it, and the store refuses a
  /// longer revision whatever the caller.
  public static let maxBytes = 1_000_000

  /// Why `text` may not be recorded as a revision for its size, or nil when it may.
  ///
  /// - Parameter text: The revision's text.
  /// - Returns: e.g. `is 5,400,000 bytes long; a draft may be at most 1,000,000 bytes`, to
  ///   follow the file's name; nil within the limit.
  public static func sizeProblem(_ text: String) -> String? {
    sizeProblem(bytes: text.utf8.count)
  }

  /// Why a text of `bytes` bytes may not be recorded as a revision, or nil when it may.
  public static func sizeProblem(bytes: Int) -> String? {
    guard bytes > maxBytes else { return nil }
    return "is \(grouped(bytes)) bytes long; a draft may be at most \(grouped(maxBytes)) bytes"
  }

  /// `value` with a comma every three digits.
  static func grouped(_ value: Int) -> String {
    var digits = String(value)
    var index = digits.count - 3
    while index > 0 {
      digits.insert(",", at: digits.index(digits.startIndex, offsetBy: index))
      index -= 3
    }
    return digits
  }

  /// The anchor of the text before the first heading.
  public static let preambleAnchor = "preamble"

  /// Cuts `markdown` into sections at its ATX headings (lines starting with 1–6 `#` and a space,
  /// outside fenced code blocks); setext headings (underlined with `===`) are not sections.
  ///
  /// A heading's anchor is the `{#anchor}` written at its end, else the derived key of
  /// ``derivedAnchor(for:)``; a derived key that an earlier section already has gets `-1`, `-2`…
  /// (as Pandoc numbers repeated identifiers). The preamble (text before the first heading) is a
  /// section only when it is not blank.
  ///
  /// - Parameter markdown: The draft's text (LF or CRLF line ends).
  /// - Returns: The sections in document order.
  /// - Throws: ``DraftTextError`` for an explicit anchor that is malformed or used twice, naming
  ///   its line.
  public static func sections(of markdown: String) throws(DraftTextError) -> [DraftSection] {
    let lines = markdown.replacingOccurrences(of: "\r\n", with: "\n").split(
      separator: "\n", omittingEmptySubsequences: false
    ).map(String.init)
    struct Open {
      var anchor: String
      var explicit: Bool
      var level: Int
      var heading: String
      var line: Int
      var body: [String] = []
    }
    var result: [DraftSection] = []
    var used: Set<String> = []
    var explicitLines: [String: Int] = [:]
    var current = Open(anchor: preambleAnchor, explicit: false, level: 0, heading: "", line: 1)
    var fence: String?
    func close(_ open: Open) {
      let body = trimBlankLines(open.body)
      if open.level == 0 && body.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { return }
      result.append(
        DraftSection(
          anchor: open.anchor, isExplicit: open.explicit, level: open.level, heading: open.heading,
          body: body.joined(separator: "\n"), line: open.line))
    }
    // Explicit anchors first, so that a derived key never takes one an author wrote later.
    var headings: [(index: Int, level: Int, text: String, explicit: String?)] = []
    for (index, line) in lines.enumerated() {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if let open = fence {
        if trimmed.hasPrefix(open) { fence = nil }
        continue
      }
      if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
        fence = String(trimmed.prefix(3))
        continue
      }
      guard let (level, text) = atxHeading(line) else { continue }
      let (heading, explicit) = splitAttributes(text)
      if let explicit {
        guard isValidAnchor(explicit) else {
          throw DraftTextError(
            line: index + 1,
            "anchor '{#\(explicit)}' must be lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
          )
        }
        if let first = explicitLines[explicit] {
          throw DraftTextError(line: index + 1, "anchor '{#\(explicit)}' is already used on line \(first)")
        }
        explicitLines[explicit] = index + 1
        used.insert(explicit)
      }
      headings.append((index, level, heading, explicit))
    }
    if explicitLines[preambleAnchor] != nil {
      used.insert(preambleAnchor)
    }
    var next = 0
    for (index, line) in lines.enumerated() {
      if next < headings.count, headings[next].index == index {
        close(current)
        let heading = headings[next]
        next += 1
        var anchor: String
        if let explicit = heading.explicit {
          anchor = explicit
        } else {
          let base = derivedAnchor(for: heading.text)
          anchor = base
          var counter = 1
          while used.contains(anchor) || anchor == preambleAnchor {
            anchor = "\(base)-\(counter)"
            counter += 1
          }
          used.insert(anchor)
        }
        current = Open(
          anchor: anchor, explicit: heading.explicit != nil, level: heading.level, heading: heading.text,
          line: index + 1)
      } else {
        current.body.append(line)
      }
    }
    close(current)
    return result
  }

  /// The anchor derived from a heading's text (Pandoc's automatic identifier rule, ASCII only):
  /// lower-cased; characters other than letters, digits, `_`, `-` and `.` dropped; spaces and
  /// newlines become `-`; everything before the first letter or digit dropped; `section` when
  /// nothing is left. It depends on the heading alone.
  ///
  /// - Parameter heading: The heading's text.
  /// - Returns: A key such as `norms-of-responsible-state-behaviour`.
  public static func derivedAnchor(for heading: String) -> String {
    var out = ""
    for scalar in heading.lowercased().unicodeScalars {
      if (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") || scalar == "_" || scalar == "-"
        || scalar == "."
      {
        out.unicodeScalars.append(scalar)
      } else if scalar == " " || scalar == "\t" || scalar == "\n" {
        if !out.isEmpty && !out.hasSuffix("-") { out.append("-") }
      } else if let folded = asciiFold[scalar] {
        out.append(folded)
      }
    }
    while let first = out.unicodeScalars.first, !(first.properties.isAlphabetic || ("0"..."9").contains(first)) {
      out.unicodeScalars.removeFirst()
    }
    while out.hasSuffix("-") { out.removeLast() }
    return out.isEmpty ? "section" : out
  }

  /// Gives the headings of `text` that have no explicit anchor the explicit anchor that a heading
  /// with the same text has in `previous` (compared without case and surrounding spaces), unless
  /// `text` already uses that anchor: a revision that comes back from Word (whose headings lose
  /// their `{#anchor}`) keeps the anchors of the sections whose headings it did not change.
  ///
  /// - Parameters:
  ///   - previous: The previous revision's text.
  ///   - text: The new revision's text.
  /// - Returns: `text` with ` {#anchor}` added to those headings; otherwise unchanged.
  public static func carryingAnchors(from previous: String, into text: String) -> String {
    guard let old = try? sections(of: previous), let new = try? sections(of: text) else { return text }
    func key(_ heading: String) -> String { heading.trimmingCharacters(in: .whitespaces).lowercased() }
    var byHeading: [String: String] = [:]
    for section in old where section.isExplicit && section.level > 0 {
      byHeading[key(section.heading)] = byHeading[key(section.heading)] ?? section.anchor
    }
    var used = Set(new.filter(\.isExplicit).map(\.anchor))
    var lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(
      separator: "\n", omittingEmptySubsequences: false
    )
    .map(String.init)
    for section in new where !section.isExplicit && section.level > 0 {
      guard let anchor = byHeading[key(section.heading)], !used.contains(anchor), section.line <= lines.count else {
        continue
      }
      used.insert(anchor)
      lines[section.line - 1] = String(repeating: "#", count: section.level) + " \(section.heading) {#\(anchor)}"
    }
    return lines.joined(separator: "\n")
  }

  /// Whether `text` can be an anchor: `[a-z0-9][a-z0-9._-]*`, at most 100 characters.
  public static func isValidAnchor(_ text: String) -> Bool {
    guard let first = text.unicodeScalars.first, text.unicodeScalars.count <= 100,
      (first >= "a" && first <= "z") || (first >= "0" && first <= "9")
    else { return false }
    return text.unicodeScalars.allSatisfy {
      ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "." || $0 == "_" || $0 == "-"
    }
  }

  /// The contributions (`[#12]`) and comments (`[c3]`) a text cites, in order of first citation,
  /// each once. A bracket may cite several, separated by commas: `[#1, #3, c2]`.
  ///
  /// - Parameter text: Markdown.
  /// - Returns: The contribution ids and the comment ids cited.
  public static func citations(in text: String) -> (contributions: [Int64], comments: [Int64]) {
    var contributions: [Int64] = []
    var comments: [Int64] = []
    var index = text.startIndex
    while let open = text[index...].firstIndex(of: "[") {
      guard let close = text[open...].firstIndex(of: "]") else { break }
      let inner = text[text.index(after: open)..<close]
      let parts = inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      var found: [(Bool, Int64)] = []
      var valid = !parts.isEmpty
      for part in parts {
        if part.hasPrefix("#"), let id = Int64(part.dropFirst()), id > 0 {
          found.append((true, id))
        } else if part.hasPrefix("c"), let id = Int64(part.dropFirst()), id > 0 {
          found.append((false, id))
        } else {
          valid = false
          break
        }
      }
      if valid {
        for (isContribution, id) in found {
          if isContribution {
            if !contributions.contains(id) { contributions.append(id) }
          } else if !comments.contains(id) {
            comments.append(id)
          }
        }
      }
      index = text.index(after: open)
    }
    return (contributions, comments)
  }

  // MARK: - Helpers

  static let asciiFold: [Unicode.Scalar: String] = [
    "ä": "a", "ö": "o", "ü": "u", "ß": "ss", "é": "e", "è": "e", "ê": "e", "à": "a", "á": "a", "â": "a",
    "ç": "c", "ñ": "n", "ó": "o", "ò": "o", "ô": "o", "í": "i", "ì": "i", "î": "i", "ú": "u", "ù": "u",
    "û": "u", "ø": "o", "å": "a", "æ": "ae", "œ": "oe",
  ]

  /// `(level, text)` when `line` is an ATX heading: up to 3 spaces, 1–6 `#`, then a space or the
  /// end; closing `#`s removed.
  static func atxHeading(_ line: String) -> (Int, String)? {
    var rest = Substring(line)
    var indent = 0
    while rest.first == " " && indent < 4 {
      rest = rest.dropFirst()
      indent += 1
    }
    guard indent < 4 else { return nil }
    let hashes = rest.prefix(while: { $0 == "#" }).count
    guard (1...6).contains(hashes) else { return nil }
    rest = rest.dropFirst(hashes)
    guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
    var text = rest.trimmingCharacters(in: .whitespaces)
    // A closing sequence of #s preceded by a space is not part of the heading.
    if let range = text.range(of: #"\s+#+$"#, options: .regularExpression) {
      text.removeSubrange(range)
    } else if text.allSatisfy({ $0 == "#" }) {
      text = ""
    }
    return (hashes, text)
  }

  /// Splits `Heading {#anchor .class key=value}` into the heading and the anchor, if any.
  static func splitAttributes(_ text: String) -> (String, String?) {
    guard text.hasSuffix("}"), let open = text.range(of: "{", options: .backwards) else { return (text, nil) }
    let inner = text[open.upperBound..<text.index(before: text.endIndex)]
    let tokens = inner.split(separator: " ")
    let heading = text[..<open.lowerBound].trimmingCharacters(in: .whitespaces)
    // pandoc's header attributes: `#id`, `.class` and `key=value` tokens, nothing else.
    if !tokens.isEmpty, tokens.allSatisfy({ $0.hasPrefix("#") || $0.hasPrefix(".") || $0.contains("=") }) {
      return (heading, tokens.first(where: { $0.hasPrefix("#") }).map { String($0.dropFirst()) })
    }
    // `{#…}` that is no attribute list: handed back whole, for the anchor rule to refuse by name.
    if inner.hasPrefix("#") { return (heading, String(inner.dropFirst())) }
    return (text, nil)
  }

  static func trimBlankLines(_ lines: [String]) -> [String] {
    var lines = lines
    while let first = lines.first, first.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeFirst() }
    while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
    return lines
  }
}
