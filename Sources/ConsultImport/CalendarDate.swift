import Foundation

/// Parses the calendar dates found in submission exports.
enum CalendarDate {
  /// The time zone regulations.gov dates are read in: US Eastern time.
  static let easternTimeZoneID = "America/New_York"

  /// A Gregorian calendar in `America/New_York`, or `nil` if the system lacks that time zone.
  static let easternCalendar: Calendar? = {
    guard let zone = TimeZone(identifier: easternTimeZoneID) else { return nil }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = zone
    return calendar
  }()

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
    guard year >= 1, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
    else { return nil }
    return (year, month, day)
  }

  /// Midnight at the start of `date` in `calendar`'s time zone.
  static func midnight(_ date: (year: Int, month: Int, day: Int), in calendar: Calendar) -> Date? {
    calendar.date(
      from: DateComponents(
        year: date.year, month: date.month, day: date.day, hour: 0, minute: 0, second: 0))
  }

  /// The value of a string of ASCII digits, or `nil` for anything else.
  private static func number(_ text: Substring) -> Int? {
    guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
    return Int(text)
  }

  /// The number of days in `month` (1–12) of `year` in the proleptic Gregorian calendar.
  private static func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2:
      let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
      return leap ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }
}
