import ConsultCore
import Foundation

/// Parses the calendar dates found in submission exports.
enum CalendarDate {
  /// The time zone regulations.gov dates are read in: US Eastern time.
  static let easternTimeZoneID = "America/New_York"

  /// The rules of `America/New_York`, or `nil` if the system lacks that time zone.
  static let eastern = LocalTimeResolver(zoneIdentifier: easternTimeZoneID)

  /// The year, month and day written in `text`, or `nil` if it is not a valid date.
  ///
  /// Accepts US `M/D/YYYY` (month and day of one or two digits, as regulations.gov writes
  /// `6/7/2018`) and ISO 8601 `YYYY-MM-DD`. Strict: ASCII digits only, a 4-digit year from 1,
  /// month 1–12, a day that exists in that month (Gregorian leap years), nothing else around it.
  static func components(_ text: String) -> (year: Int, month: Int, day: Int)? {
    let slash = text.split(separator: "/", omittingEmptySubsequences: false)
    let dash = text.split(separator: "-", omittingEmptySubsequences: false)
    let year: Int
    let month: Int
    let day: Int
    if slash.count == 3, (1...2).contains(slash[0].count), (1...2).contains(slash[1].count),
      slash[2].count == 4, let m = number(slash[0]), let d = number(slash[1]),
      let y = number(slash[2])
    {
      (year, month, day) = (y, m, d)
    } else if dash.count == 3, dash[0].count == 4, dash[1].count == 2, dash[2].count == 2,
      let y = number(dash[0]), let m = number(dash[1]), let d = number(dash[2])
    {
      (year, month, day) = (y, m, d)
    } else {
      return nil
    }
    guard year >= 1, LocalDateTime(year: year, month: month, day: day).isValid else { return nil }
    return (year, month, day)
  }

  /// Midnight at the start of `date` in `zone`, by ``LocalTimeResolver``'s rule (a midnight
  /// skipped or repeated by a clock change is refused; US Eastern time changes at 02:00, so its
  /// midnights are never either).
  ///
  /// - Parameters:
  ///   - date: a valid Gregorian date (see ``components(_:)``).
  ///   - zone: the zone, e.g. ``eastern``.
  ///   - text: the date as written, quoted in the error.
  /// - Throws: ``LocalTimeError`` when that midnight does not exist or happens twice in `zone`.
  static func midnight(
    _ date: (year: Int, month: Int, day: Int), in zone: LocalTimeResolver, text: String? = nil
  ) throws(LocalTimeError) -> Date {
    try zone.instant(LocalDateTime(year: date.year, month: date.month, day: date.day), text: text)
  }

  /// The value of a string of ASCII digits, or `nil` for anything else.
  private static func number(_ text: Substring) -> Int? {
    guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
    return Int(text)
  }
}
