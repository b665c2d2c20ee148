import Foundation

/// A passage of a section quoted by a comment, as a W3C Web Annotation `TextQuoteSelector`
/// (Web Annotation Data Model §4.2.4, w3.org/TR/annotation-model/#text-quote-selector): the
/// exact text, with up to ``contextLength`` characters before (`prefix`) and after (`suffix`) it
/// to tell repeated passages apart.
public struct TextQuoteSelector: Sendable, Equatable, Hashable, Codable {
  /// Characters of context kept on each side.
  public static let contextLength = 32

  /// The quoted passage, exactly as in the revision commented on.
  public let exact: String
  /// Up to 32 characters before it in the section (shorter at the section's start).
  public let prefix: String
  /// Up to 32 characters after it in the section.
  public let suffix: String

  /// Makes a selector from its three parts.
  public init(exact: String, prefix: String, suffix: String) {
    self.exact = exact
    self.prefix = prefix
    self.suffix = suffix
  }

  /// The selector of the first occurrence of `exact` in `text`, any whitespace in either matching
  /// any single whitespace character (a passage typed on one line matches one the text wraps); the
  /// selector's `exact` is the passage as the text has it.
  ///
  /// - Parameters:
  ///   - exact: The passage (not empty).
  ///   - text: The section's text (heading line and body, as ``TextAnchoring/text(of:)`` gives).
  /// - Returns: The selector, or nil when `text` does not contain `exact`.
  public static func quoting(_ exact: String, in text: String) -> TextQuoteSelector? {
    let pattern = TextAnchoring.normalised(exact)
    let haystack = TextAnchoring.normalised(text)
    guard !pattern.isEmpty, pattern.count <= haystack.count else { return nil }
    for start in 0...(haystack.count - pattern.count)
    where TextAnchoring.matches(pattern, in: haystack, at: start) {
      let end = start + pattern.count
      return TextQuoteSelector(
        exact: TextAnchoring.slice(text, start..<end),
        prefix: TextAnchoring.slice(text, max(0, start - contextLength)..<start),
        suffix: TextAnchoring.slice(text, end..<min(haystack.count, end + contextLength)))
    }
    return nil
  }
}

/// Where a comment's passage is in a later revision.
public struct TextAnchor: Sendable, Equatable {
  /// How it was found.
  public enum Match: String, Sendable, Equatable, Codable {
    /// The exact passage, in the section it was quoted from (or the section itself, for a comment
    /// without a quote).
    case exact
    /// A passage close to it (a few characters edited), in the same section.
    case fuzzy
    /// The passage (exact or close) is now in another section.
    case moved
    /// Neither the passage nor, for a comment without a quote, the section is there any more.
    case orphaned
  }

  /// How it was found.
  public let match: Match
  /// The section it is in now; nil when orphaned.
  public let section: String?
  /// The passage as it reads now; nil for a comment without a quote, or when orphaned.
  public let text: String?
  /// Offset of the passage in the section's text (``TextAnchoring/text(of:)``), in Unicode scalars.
  public let offset: Int?

  /// Makes an anchor.
  public init(match: Match, section: String?, text: String?, offset: Int?) {
    self.match = match
    self.section = section
    self.text = text
    self.offset = offset
  }
}

/// Re-anchors comments in a later revision, as Hypothesis anchors annotations
/// (web.hypothes.is/blog/fuzzy-anchoring): the exact passage in its section first (context
/// deciding between repeats), then a close match in that section (at most a quarter of its
/// characters edited), then the exact and then a close passage anywhere in the document; if none
/// is found, the comment is orphaned. Pure: no I/O.
public enum TextAnchoring {
  /// The share of a passage's characters that may differ in a close match.
  public static let fuzzyTolerance = 0.25

  /// The text a selector quotes from: the section's heading and body, joined by a newline (the
  /// body alone for the preamble).
  public static func text(of section: DraftSection) -> String {
    section.heading.isEmpty ? section.body : section.heading + "\n" + section.body
  }

  /// Finds a comment's place in `sections`.
  ///
  /// - Parameters:
  ///   - section: The anchor of the section commented on.
  ///   - selector: The quoted passage, or nil for a comment on the whole section.
  ///   - sections: The revision's sections (``DraftDocument/sections(of:)``).
  /// - Returns: Where it is, and how it was found.
  public static func anchor(section: String, selector: TextQuoteSelector?, in sections: [DraftSection]) -> TextAnchor {
    let home = sections.first { $0.anchor == section }
    guard let selector, !selector.exact.isEmpty else {
      return home.map { TextAnchor(match: .exact, section: $0.anchor, text: nil, offset: nil) }
        ?? TextAnchor(match: .orphaned, section: nil, text: nil, offset: nil)
    }
    let pattern = normalised(selector.exact)
    if let home {
      let text = normalised(Self.text(of: home))
      if let offset = bestExact(pattern, selector: selector, in: text) {
        return TextAnchor(match: .exact, section: home.anchor, text: selector.exact, offset: offset)
      }
      if let found = approximate(pattern, in: text) {
        return TextAnchor(
          match: .fuzzy, section: home.anchor, text: slice(Self.text(of: home), found.start..<found.end),
          offset: found.start)
      }
    }
    let others = sections.filter { $0.anchor != section }
    for other in others {
      if let offset = bestExact(pattern, selector: selector, in: normalised(Self.text(of: other))) {
        return TextAnchor(match: .moved, section: other.anchor, text: selector.exact, offset: offset)
      }
    }
    var best: (section: DraftSection, start: Int, end: Int, errors: Int)?
    for other in others {
      if let found = approximate(pattern, in: normalised(Self.text(of: other))),
        best.map({ found.errors < $0.errors }) ?? true
      {
        best = (other, found.start, found.end, found.errors)
      }
    }
    if let best {
      return TextAnchor(
        match: .moved, section: best.section.anchor,
        text: slice(Self.text(of: best.section), best.start..<best.end), offset: best.start)
    }
    return TextAnchor(match: .orphaned, section: nil, text: nil, offset: nil)
  }

  /// Unicode scalar values, with every whitespace scalar as a space (one for one, so offsets hold): a
  /// passage re-wrapped onto other lines still matches exactly.
  static func normalised(_ text: String) -> [UInt32] {
    text.unicodeScalars.map { $0.properties.isWhitespace ? 0x20 : $0.value }
  }

  /// Whether `pattern` occurs in `text` at `start`.
  static func matches(_ pattern: [UInt32], in text: [UInt32], at start: Int) -> Bool {
    guard start + pattern.count <= text.count else { return false }
    for index in pattern.indices where text[start + index] != pattern[index] { return false }
    return true
  }

  /// The Unicode scalars `range` of `text`, as a string.
  static func slice(_ text: String, _ range: Range<Int>) -> String {
    let scalars = text.unicodeScalars
    let lower = scalars.index(scalars.startIndex, offsetBy: range.lowerBound)
    let upper = scalars.index(lower, offsetBy: range.count)
    return String(scalars[lower..<upper])
  }

  /// The offset of the occurrence of `pattern` in `text` whose context agrees best with the
  /// selector's prefix and suffix; nil when there is none.
  static func bestExact(_ pattern: [UInt32], selector: TextQuoteSelector, in text: [UInt32]) -> Int? {
    guard !pattern.isEmpty, pattern.count <= text.count else { return nil }
    let prefix = normalised(selector.prefix)
    let suffix = normalised(selector.suffix)
    var best: (offset: Int, score: Int)?
    var start = 0
    while start + pattern.count <= text.count {
      if matches(pattern, in: text, at: start) {
        // Context score: matching characters of the prefix (backwards) and suffix (forwards).
        var score = 0
        var i = prefix.count - 1
        var j = start - 1
        while i >= 0 && j >= 0 && prefix[i] == text[j] {
          score += 1
          i -= 1
          j -= 1
        }
        i = 0
        j = start + pattern.count
        while i < suffix.count && j < text.count && suffix[i] == text[j] {
          score += 1
          i += 1
          j += 1
        }
        if best.map({ score > $0.score }) ?? true { best = (start, score) }
      }
      start += 1
    }
    return best?.offset
  }

  /// The substring of `text` closest to `pattern` by edit distance, if at most
  /// ``fuzzyTolerance`` of the pattern's characters differ: the first end with the fewest errors
  /// by Myers' bit-vector algorithm (G. Myers, "A fast bit-vector algorithm for approximate string
  /// matching based on dynamic programming", J. ACM 46(3), 1999; blocks of 64 pattern characters
  /// as in Hyyrö's and edlib's extension), then its start by a dynamic programme over at most
  /// `pattern.count + errors` characters before that end. Time grows with the text's length times
  /// ⌈pattern length / 64⌉, not with their product: a 200-character passage is sought in a
  /// 1,000,000-character revision in a fraction of a second.
  static func approximate(_ pattern: [UInt32], in text: [UInt32]) -> (start: Int, end: Int, errors: Int)? {
    let m = pattern.count
    guard m > 0, !text.isEmpty else { return nil }
    let limit = Int((Double(m) * fuzzyTolerance).rounded(.down))
    guard let (end, errors) = bestEnd(pattern, in: text, limit: limit) else { return nil }
    // The start: the suffix of text[..<end] closest to the pattern (edit distance by rows of the
    // reversed pattern against the reversed window); the length nearest the pattern's wins a tie.
    let low = max(0, end - m - errors)
    let window = Array(text[low..<end].reversed())
    let reversed = Array(pattern.reversed())
    var previous = Array(0...window.count)
    var current = previous
    for i in 1...m {
      current[0] = i
      for k in 1...window.count {
        let cost = reversed[i - 1] == window[k - 1] ? 0 : 1
        current[k] = min(previous[k - 1] + cost, previous[k] + 1, current[k - 1] + 1)
      }
      swap(&previous, &current)
    }
    var bestLength = m
    var bestDistance = Int.max
    for length in 0...window.count {
      let distance = previous[length]
      if distance < bestDistance || (distance == bestDistance && abs(length - m) < abs(bestLength - m)) {
        bestDistance = distance
        bestLength = length
      }
    }
    return (end - bestLength, end, min(errors, bestDistance))
  }

  /// The first end offset (exclusive) in `text` of a substring at the smallest edit distance from
  /// `pattern`, and that distance, if at most `limit`; Myers' bit-vector algorithm, one 64-bit word
  /// per 64 pattern characters.
  static func bestEnd(_ pattern: [UInt32], in text: [UInt32], limit: Int) -> (end: Int, errors: Int)? {
    let m = pattern.count
    let blocks = (m + 63) / 64
    // Peq: for each character, the bits of the pattern positions that hold it; ASCII and Latin-1
    // in a flat table, the rest in a dictionary.
    var latin = [UInt64](repeating: 0, count: 256 * blocks)
    var other: [UInt32: [UInt64]] = [:]
    for (index, character) in pattern.enumerated() {
      let bit: UInt64 = 1 << UInt64(index % 64)
      if character < 256 {
        latin[Int(character) * blocks + index / 64] |= bit
      } else {
        other[character, default: [UInt64](repeating: 0, count: blocks)][index / 64] |= bit
      }
    }
    let none = [UInt64](repeating: 0, count: blocks)
    var positive = [UInt64](repeating: ~0, count: blocks)
    var negative = [UInt64](repeating: 0, count: blocks)
    let lastBit: UInt64 = 1 << UInt64((m - 1) % 64)
    var score = m
    var best: (end: Int, errors: Int)?
    for j in 0..<text.count {
      let character = text[j]
      let table = character < 256 ? nil : (other[character] ?? none)
      var carry = 0
      for block in 0..<blocks {
        var eq = table?[block] ?? latin[Int(character) * blocks + block]
        let pv = positive[block]
        let mv = negative[block]
        let high: UInt64 = block == blocks - 1 ? lastBit : 1 << 63
        let xv = eq | mv
        if carry < 0 { eq |= 1 }
        let xh = (((eq & pv) &+ pv) ^ pv) | eq
        var ph = mv | ~(xh | pv)
        var mh = pv & xh
        let out = ph & high != 0 ? 1 : (mh & high != 0 ? -1 : 0)
        ph <<= 1
        mh <<= 1
        if carry < 0 { mh |= 1 } else if carry > 0 { ph |= 1 }
        positive[block] = mh | ~(xv | ph)
        negative[block] = ph & xv
        carry = out
      }
      score += carry
      if score <= limit, best.map({ score < $0.errors }) ?? true {
        best = (j + 1, score)
        if score == 0 { break }
      }
    }
    return best
  }
}

extension TextQuoteSelector {
  /// The 1-based line of the document on which the quoted passage starts: its first occurrence
  /// at or after the heading of `section`; the heading's line when the passage is not found.
  ///
  /// - Parameters:
  ///   - section: The section quoted from.
  ///   - markdown: The whole revision's text.
  /// - Returns: A line number, for "section / line" in the comment resolution matrix.
  public func line(in section: DraftSection, of markdown: String) -> Int {
    let lines = markdown.replacingOccurrences(of: "\r\n", with: "\n").split(
      separator: "\n", omittingEmptySubsequences: false)
    let before = lines.prefix(max(section.line - 1, 0)).map { $0.count + 1 }.reduce(0, +)
    let text = markdown.replacingOccurrences(of: "\r\n", with: "\n")
    guard before <= text.count else { return section.line }
    let start = text.index(text.startIndex, offsetBy: before)
    guard let found = text[start...].range(of: exact) else { return section.line }
    return section.line + text[start..<found.lowerBound].filter { $0 == "\n" }.count
  }
}
