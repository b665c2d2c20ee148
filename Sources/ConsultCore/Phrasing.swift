/// How consult words numbers and near misses, in one place so that every command, message and
/// export says them alike: `60,000 records`, `1 record`, `did you mean 'schedule'?`.
public enum Phrasing {
  /// A whole number with a comma between each group of three digits, whatever the locale:
  /// `60,000`, `-1,234`, `7`.
  ///
  /// - Parameter number: The number.
  /// - Returns: Its digits, grouped.
  public static func grouped(_ number: Int) -> String {
    let digits = Array(String(number.magnitude))
    var text = number < 0 ? "-" : ""
    for (index, digit) in digits.enumerated() {
      if index > 0, (digits.count - index) % 3 == 0 { text.append(",") }
      text.append(digit)
    }
    return text
  }

  /// A count with its noun in the singular for exactly 1 and in the plural otherwise, the count
  /// grouped (``grouped(_:)``): `1 record`, `0 records`, `60,000 records`, `2 entities`.
  ///
  /// - Parameters:
  ///   - count: How many.
  ///   - singular: The noun for one, e.g. `record`.
  ///   - plural: The noun for any other count; default `singular` + `s`.
  /// - Returns: The count and the noun.
  public static func counted(_ count: Int, _ singular: String, plural: String? = nil) -> String {
    "\(grouped(count)) \(count == 1 ? singular : plural ?? singular + "s")"
  }

  /// The candidate most likely meant by a name that matched none: the closest by edit distance
  /// (insertions, deletions, substitutions and swaps of neighbouring characters, ignoring case),
  /// when it is close enough to be a slip — at most one edit for names up to five characters,
  /// two up to ten, three beyond — or when one of the two begins with the other (at least three
  /// characters long). Ties go to the candidate first in sorted order.
  ///
  /// - Parameters:
  ///   - name: What was typed.
  ///   - candidates: The names that exist.
  /// - Returns: The closest candidate, or nil when none is close (or `name` is itself a candidate).
  public static func closest(to name: String, among candidates: some Sequence<String>) -> String? {
    let typed = Array(name.lowercased())
    guard !typed.isEmpty else { return nil }
    let limit = typed.count <= 5 ? 1 : typed.count <= 10 ? 2 : 3
    var best: (distance: Int, candidate: String)?
    for candidate in Set(candidates).sorted() where candidate != name {
      let other = Array(candidate.lowercased())
      let shorter = min(typed.count, other.count)
      let prefix = shorter >= 3 && (other.starts(with: typed) || typed.starts(with: other))
      guard prefix || abs(other.count - typed.count) <= limit else { continue }
      let distance = prefix ? 0 : editDistance(typed, other, limit: limit)
      guard distance <= limit else { continue }
      if best == nil || distance < best!.distance { best = (distance, candidate) }
    }
    return best?.candidate
  }

  /// `" (did you mean 'schedule'?)"` when ``closest(to:among:)`` finds a candidate, else `""`:
  /// to follow the unknown name in a not-found or refusal message.
  ///
  /// - Parameters:
  ///   - name: What was typed.
  ///   - candidates: The names that exist.
  /// - Returns: The clause, or the empty string.
  public static func didYouMean(_ name: String, among candidates: some Sequence<String>) -> String {
    closest(to: name, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
  }

  /// The optimal-string-alignment distance between `a` and `b` (Damerau–Levenshtein without
  /// repeated edits of one substring), or `limit + 1` as soon as it must exceed `limit`.
  static func editDistance(_ a: [Character], _ b: [Character], limit: Int) -> Int {
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var previous2 = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      var rowMinimum = current[0]
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          value = min(value, previous2[j - 2] + 1)
        }
        current[j] = value
        rowMinimum = min(rowMinimum, value)
      }
      if rowMinimum > limit { return limit + 1 }
      (previous2, previous, current) = (previous, current, previous2)
    }
    return previous[b.count]
  }
}
