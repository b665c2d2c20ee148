/// A piece of a word-level comparison: text kept, inserted or deleted.
public enum DiffPiece: Sendable, Equatable {
  /// Text in both revisions.
  case same(String)
  /// Text only in the newer revision.
  case inserted(String)
  /// Text only in the older revision.
  case deleted(String)
}

/// What happened to one section between two revisions.
public struct SectionChange: Sendable, Equatable {
  /// The section's anchor.
  public let anchor: String
  /// Its heading in the older revision; nil when added.
  public let oldHeading: String?
  /// Its heading in the newer revision; nil when removed.
  public let newHeading: String?
  /// Only in the newer revision.
  public let isAdded: Bool
  /// Only in the older revision.
  public let isRemoved: Bool
  /// In both, but its place among the other sections changed.
  public let isMoved: Bool
  /// In both, with a different heading or text.
  public let isChanged: Bool
  /// The word-level comparison of the section's body (the heading is compared as a whole: see
  /// ``oldHeading`` and ``newHeading``): all `.same` when unchanged, all `.inserted` when added,
  /// all `.deleted` when removed.
  public let pieces: [DiffPiece]

  /// Whether nothing happened to it.
  public var isUnchanged: Bool { !isAdded && !isRemoved && !isMoved && !isChanged }
}

/// Compares two revisions section by section: sections are matched by anchor; those only in one
/// are added or removed; of those in both, the ones outside the longest common order are moved;
/// a changed section's text is compared word by word (Myers' difference, as Swift's
/// `difference(from:)` computes it). Pure: no I/O.
public enum DraftDiff {
  /// The changes from `old` to `new`, in the newer revision's order with removed sections after
  /// the section that preceded them.
  ///
  /// - Parameters:
  ///   - old: The older revision's sections.
  ///   - new: The newer revision's sections.
  /// - Returns: One change per section of either revision, unchanged ones included.
  public static func compare(_ old: [DraftSection], _ new: [DraftSection]) -> [SectionChange] {
    let oldByAnchor = Dictionary(old.map { ($0.anchor, $0) }, uniquingKeysWith: { first, _ in first })
    let newAnchors = Set(new.map(\.anchor))
    let commonOld = old.map(\.anchor).filter { newAnchors.contains($0) }
    let commonNew = new.map(\.anchor).filter { oldByAnchor[$0] != nil }
    var moved: Set<String> = []
    for change in commonNew.difference(from: commonOld) {
      if case .insert(_, let anchor, _) = change { moved.insert(anchor) }
    }
    var result: [SectionChange] = []
    var emitted: Set<String> = []
    func removedAfter(_ anchor: String?) {
      // Removed sections that followed `anchor` (or started the document) in the older revision.
      var index = anchor.flatMap { a in old.firstIndex { $0.anchor == a } }.map { $0 + 1 } ?? 0
      while index < old.count, !newAnchors.contains(old[index].anchor) {
        let section = old[index]
        if emitted.insert("-" + section.anchor).inserted {
          result.append(
            SectionChange(
              anchor: section.anchor, oldHeading: section.heading, newHeading: nil, isAdded: false, isRemoved: true,
              isMoved: false, isChanged: false, pieces: [.deleted(section.body)]))
        }
        index += 1
      }
    }
    removedAfter(nil)
    for section in new {
      if let before = oldByAnchor[section.anchor] {
        let changed = before.body != section.body || before.heading != section.heading
        result.append(
          SectionChange(
            anchor: section.anchor, oldHeading: before.heading, newHeading: section.heading, isAdded: false,
            isRemoved: false, isMoved: moved.contains(section.anchor), isChanged: changed,
            pieces: before.body == section.body ? [.same(section.body)] : words(from: before.body, to: section.body)))
        removedAfter(section.anchor)
      } else {
        result.append(
          SectionChange(
            anchor: section.anchor, oldHeading: nil, newHeading: section.heading, isAdded: true, isRemoved: false,
            isMoved: false, isChanged: false, pieces: [.inserted(section.body)]))
      }
    }
    for section in old where !newAnchors.contains(section.anchor) && !emitted.contains("-" + section.anchor) {
      result.append(
        SectionChange(
          anchor: section.anchor, oldHeading: section.heading, newHeading: nil, isAdded: false, isRemoved: true,
          isMoved: false, isChanged: false, pieces: [.deleted(section.body)]))
    }
    return result
  }

  /// A word-level comparison: the texts cut into words and the whitespace between them, compared
  /// token by token, adjacent pieces of one kind merged.
  ///
  /// - Parameters:
  ///   - old: The older text.
  ///   - new: The newer text.
  /// - Returns: Pieces that spell `old` when the inserted ones are dropped and `new` when the
  ///   deleted ones are.
  public static func words(from old: String, to new: String) -> [DiffPiece] {
    let a = tokens(old)
    let b = tokens(new)
    var removed: Set<Int> = []
    var inserted: Set<Int> = []
    for change in b.difference(from: a) {
      switch change {
      case .remove(let offset, _, _): removed.insert(offset)
      case .insert(let offset, _, _): inserted.insert(offset)
      }
    }
    var pieces: [DiffPiece] = []
    func add(_ piece: DiffPiece) {
      switch (pieces.last, piece) {
      case (.same(let x)?, .same(let y)): pieces[pieces.count - 1] = .same(x + y)
      case (.inserted(let x)?, .inserted(let y)): pieces[pieces.count - 1] = .inserted(x + y)
      case (.deleted(let x)?, .deleted(let y)): pieces[pieces.count - 1] = .deleted(x + y)
      default: pieces.append(piece)
      }
    }
    var i = 0
    var j = 0
    while i < a.count || j < b.count {
      if i < a.count, removed.contains(i) {
        add(.deleted(a[i]))
        i += 1
      } else if j < b.count, inserted.contains(j) {
        add(.inserted(b[j]))
        j += 1
      } else {
        add(.same(a[i]))
        i += 1
        j += 1
      }
    }
    return pieces
  }

  /// Words and runs of whitespace, in order.
  static func tokens(_ text: String) -> [String] {
    var result: [String] = []
    var current = ""
    var inSpace = false
    for character in text {
      let space = character.isWhitespace
      if !current.isEmpty && space != inSpace {
        result.append(current)
        current = ""
      }
      inSpace = space
      current.append(character)
    }
    if !current.isEmpty { result.append(current) }
    return result
  }
}
