import ConsultCore
import ConsultStore

/// A count as it may be published: the number, or withheld so that nobody is identified.
public enum PublishedCount: Sendable, Equatable {
  /// Shown as it is.
  case shown(Int)
  /// Below the disclosure threshold (primary suppression): "fewer than 3".
  case fewerThan(Int)
  /// Withheld so that suppressed counts cannot be worked out from the total (secondary
  /// suppression), or a total withheld for the same reason: "withheld".
  case withheld

  /// The text exports print: the count grouped by three (``Phrasing/grouped(_:)``), "fewer than N"
  /// or "withheld".
  public var text: String {
    switch self {
    case .shown(let count): Phrasing.grouped(count)
    case .fewerThan(let threshold): "fewer than \(threshold)"
    case .withheld: "withheld"
    }
  }

  /// The count when shown, else nil.
  public var value: Int? {
    if case .shown(let count) = self { return count }
    return nil
  }
}

/// Small-cell suppression of a table of counts whose columns add up to a total row, as statistical
/// offices publish tables (primary and secondary cell suppression; see e.g. Eurostat, *Handbook on
/// Statistical Disclosure Control*, ch. 4, and the UK Government Statistical Service's guidance on
/// disclosure control of tables).
///
/// - Primary: every count from 1 to `threshold - 1` is shown as "fewer than `threshold`" (zero
///   names nobody and is shown).
/// - Secondary: a reader knows each primary cell lies between 1 and `threshold - 1`, each
///   withheld cell is at least `threshold` (else it would say "fewer than"), and, from a shown
///   total, the sum of a column's hidden cells. While that lets any hidden cell of a column be
///   worked out exactly (always so with one hidden cell; also e.g. three hidden cells summing to
///   3), the smallest shown non-zero cell of the column is withheld too; when none is left, the
///   column's total is withheld. A total that is itself below the threshold is a primary cell.
///
/// Columns are treated independently (the table's rows are not additive: invited, accepted and
/// attended count the same people at different steps).
public enum CellSuppression {
  /// Suppresses a table.
  ///
  /// - Parameters:
  ///   - rows: Counts, one array per row, every row as long as the first (non-negative).
  ///   - threshold: The smallest count shown (at least 1; 1 suppresses nothing).
  /// - Returns: The cells to publish, row by row, and the column totals to publish.
  public static func suppress(rows: [[Int]], threshold: Int) -> (cells: [[PublishedCount]], totals: [PublishedCount]) {
    let columns = rows.first?.count ?? 0
    var cells = rows.map { $0.map { PublishedCount.shown($0) } }
    var totals: [PublishedCount] = []
    for column in 0..<columns {
      let values = rows.map { $0[column] }
      let total = values.reduce(0, +)
      var primary = Set<Int>()
      var secondary = Set<Int>()
      for (row, value) in values.enumerated() where value > 0 && value < threshold {
        primary.insert(row)
      }
      var totalCell = PublishedCount.shown(total)
      if total > 0 && total < threshold {
        totalCell = .fewerThan(threshold)
      } else {
        while !primary.isEmpty && anyDisclosed(values, primary: primary, secondary: secondary, threshold: threshold) {
          let candidates = values.enumerated().filter {
            $0.element > 0 && !primary.contains($0.offset) && !secondary.contains($0.offset)
          }
          guard let smallest = candidates.min(by: { ($0.element, $0.offset) < ($1.element, $1.offset) }) else {
            totalCell = .withheld
            break
          }
          secondary.insert(smallest.offset)
        }
      }
      for row in primary { cells[row][column] = .fewerThan(threshold) }
      for row in secondary { cells[row][column] = .withheld }
      totals.append(totalCell)
    }
    return (cells, totals)
  }

  /// Whether a reader who knows the bounds of every hidden cell (primary: 1 to `threshold - 1`;
  /// secondary: `threshold` up to the hidden sum) and their sum can work out any of them exactly:
  /// with one sum and bounds per cell, cell i ranges over [max(lo_i, S − Σ_{j≠i} hi_j),
  /// min(hi_i, S − Σ_{j≠i} lo_j)].
  static func anyDisclosed(_ values: [Int], primary: Set<Int>, secondary: Set<Int>, threshold: Int) -> Bool {
    let hidden = primary.union(secondary)
    let sum = hidden.reduce(0) { $0 + values[$1] }
    func bounds(_ row: Int) -> (Int, Int) { primary.contains(row) ? (1, threshold - 1) : (threshold, sum) }
    let lowSum = hidden.reduce(0) { $0 + bounds($1).0 }
    let highSum = hidden.reduce(0) { $0 + bounds($1).1 }
    // A primary cell's label alone pins it when the threshold is 2 ("fewer than 2" is 1): nothing
    // more can hide it, so only wider primary cells are checked.
    for row in primary where threshold > 2 {
      let (lo, hi) = bounds(row)
      let low = max(lo, sum - (highSum - hi))
      let high = min(hi, sum - (lowSum - lo))
      if high <= low { return true }
    }
    return false
  }
}

extension WorkshopProceedings {
  /// The participation table as it may be published: rows in ``participation``'s order with the
  /// columns invited, accepted, attended, and the totals, suppressed with the workshop's
  /// ``disclosureThreshold`` (``CellSuppression``). Every export format prints these.
  public var publishedParticipation: (rows: [[PublishedCount]], totals: [PublishedCount]) {
    let suppressed = CellSuppression.suppress(
      rows: participation.map { [$0.invited, $0.accepted, $0.attended] }, threshold: disclosureThreshold)
    return (suppressed.cells, suppressed.totals.isEmpty ? [.shown(0), .shown(0), .shown(0)] : suppressed.totals)
  }
}
