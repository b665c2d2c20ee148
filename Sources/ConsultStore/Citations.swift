import Foundation

/// Citations in a proceedings summary's text: an editor cites the
/// contributions a paragraph draws on as `[#12]` or `[#12, #15]` (contribution
/// ids, as `consult contributions list` shows them). Exporters number the cited
/// contributions in order of first citation and list them as sources.
public enum SummaryCitations {
  /// The pattern of one citation: `[#` id (`, #` id)* `]`.
  static let pattern = #"\[#[0-9]+(?:\s*,\s*#[0-9]+)*\]"#

  /// The contribution ids cited in `text`, each once, in order of first citation.
  ///
  /// - Parameter text: A summary's body (Markdown).
  /// - Returns: Ids in order of first appearance; empty when nothing is cited.
  public static func ids(in text: String) -> [Int64] {
    var seen = Set<Int64>()
    var ordered: [Int64] = []
    for group in groups(in: text) {
      for id in group.ids where seen.insert(id).inserted { ordered.append(id) }
    }
    return ordered
  }

  /// `text` with every citation replaced by what `replacement` returns for its ids.
  ///
  /// - Parameters:
  ///   - text: A summary's body.
  ///   - replacement: Given the ids of one citation, in the order written, returns its new text.
  /// - Returns: The text with citations replaced; unchanged when there are none.
  public static func replacing(in text: String, _ replacement: ([Int64]) -> String) -> String {
    var result = ""
    var position = text.startIndex
    for group in groups(in: text) {
      result += text[position..<group.range.lowerBound]
      result += replacement(group.ids)
      position = group.range.upperBound
    }
    result += text[position...]
    return result
  }

  /// Walks `text` as runs of plain text and citation groups, in order: `body` is called with
  /// `(text, nil)` for plain text and `(nil, ids)` for each citation group.
  ///
  /// - Parameters:
  ///   - text: A summary's paragraph.
  ///   - body: Receives each run.
  public static func split(_ text: String, _ body: (String?, [Int64]?) -> Void) {
    var position = text.startIndex
    for group in groups(in: text) {
      if position < group.range.lowerBound { body(String(text[position..<group.range.lowerBound]), nil) }
      body(nil, group.ids)
      position = group.range.upperBound
    }
    if position < text.endIndex { body(String(text[position...]), nil) }
  }

  private static func groups(in text: String) -> [(range: Range<String.Index>, ids: [Int64])] {
    guard let regex = try? Regex(pattern) else { return [] }
    return text.matches(of: regex).map { match in
      let ids = text[match.range].split(whereSeparator: { !$0.isNumber }).compactMap { Int64($0) }
      return (match.range, ids)
    }
  }
}

extension ConsultStore {
  /// Refuses a summary text that cites contributions not in the consultation.
  ///
  /// - Throws: ``StoreError`` (`.invalidInput`) naming the unknown ids.
  func checkCitations(in body: String, consultationID: Int64) throws {
    let cited = SummaryCitations.ids(in: body)
    guard !cited.isEmpty else { return }
    let found = Set(
      try connection.query(
        "SELECT id FROM contributions WHERE consultation_id = $1 AND id = ANY($2::bigint[])",
        [consultationID, PostgresTextArray(cited.map(String.init))]
      ).map { try $0.decode("id", as: Int64.self) })
    let missing = cited.filter { !found.contains($0) }
    if !missing.isEmpty {
      throw StoreError(
        .invalidInput,
        "the summary cites \(missing.map { "#\($0)" }.joined(separator: ", ")), which \(missing.count == 1 ? "is not a contribution" : "are not contributions") of this consultation (see `consult contributions list`)"
      )
    }
  }
}
