/// The rules every contribution's text follows, whichever command records it (`consult contribute`,
/// every import format, a revision by `--update-changed`).
public enum ContributionText {
  /// The largest text consult records, in bytes of UTF-8: 1,000,000. Imports refuse a field
  /// over it (a record-level error naming file, line and column); `consult contribute` refuses a
  /// longer `--text` or `--file`, and the store refuses one whatever the caller.
  public static let maxBytes = 1_000_000

  /// Why `text` may not be recorded for its size, or nil when it may.
  ///
  /// - Parameter text: The text as it would be stored (not trimmed).
  /// - Returns: e.g. `is 2,000,000 bytes long; a contribution's text may be at most 1,000,000
  ///   bytes`, to follow the field's name; nil within the limit.
  public static func sizeProblem(_ text: String) -> String? {
    let size = text.utf8.count
    guard size > maxBytes else { return nil }
    return "is \(Phrasing.counted(size, "byte")) long; a contribution's text may be at most "
      + Phrasing.counted(maxBytes, "byte")
  }
}
