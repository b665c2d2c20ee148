/// The source ids seen so far in one file, with the line where each was first seen, kept compact
/// so that a million-row import stays within its memory budget.
///
/// Purely numeric ids (Polis `comment-id`, Decidim `id`, Have Your Say `id`), the common case in
/// large files, are stored as 64-bit integers with 32-bit line numbers (about 20 bytes each
/// instead of a `String` key and an `Int`); other ids are stored as strings. A numeric id is
/// only recognised in canonical form (no sign, no leading zero), so `"007"` and `"7"` stay
/// distinct ids, as they are in the source.
struct SourceIDRegistry {
  private var numeric: [Int64: Int32] = [:]
  private var other: [String: Int] = [:]

  /// The 1-based line where `id` was first seen, or nil; setting records it.
  subscript(id: String) -> Int? {
    get {
      if let key = Self.numericKey(id) { return numeric[key].map(Int.init) }
      return other[id]
    }
    set {
      if let key = Self.numericKey(id), let line = newValue.flatMap({ Int32(exactly: $0) }) {
        numeric[key] = line
      } else {
        other[id] = newValue
      }
    }
  }

  /// `id` as an integer when it is written canonically (digits only, no leading zero, fits Int64).
  private static func numericKey(_ id: String) -> Int64? {
    let utf8 = id.utf8
    guard let first = utf8.first, utf8.count <= 18, first != UInt8(ascii: "0") || utf8.count == 1 else {
      return nil
    }
    var value: Int64 = 0
    for byte in utf8 {
      guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
      value = value * 10 + Int64(byte - UInt8(ascii: "0"))
    }
    return value
  }
}
