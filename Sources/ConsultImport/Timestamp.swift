import Foundation

/// Parses the date-and-time texts of submission exports into instants.
///
/// Local wall-clock times are converted with the IANA time-zone database through Foundation's
/// `Calendar`: a time in the hour skipped when clocks go forward does not exist and is refused;
/// a time in the hour repeated when clocks go back is read as the earlier instant (still summer
/// time), which is what Foundation's `Calendar.date(from:)` returns.
enum Timestamp {
  /// The fields of a date and time of day, as written.
  struct Fields: Equatable {
    var year: Int
    var month: Int
    var day: Int
    var hour = 0
    var minute = 0
    var second = 0
    var nanosecond = 0
    /// The UTC offset written after the time, in seconds east of UTC; `nil` when none is written.
    var offset: Int?
  }

  /// A Gregorian calendar in the time zone with IANA identifier `identifier`, or `nil` if the
  /// system does not know it.
  static func calendar(_ identifier: String) -> Calendar? {
    guard let zone = TimeZone(identifier: identifier) else { return nil }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = zone
    return calendar
  }

  /// The instant `fields` name: with their written offset when there is one, else as wall-clock
  /// time in `calendar`'s zone. `nil` when the date or time does not exist (31 April, 25:00, a
  /// time skipped by a daylight-saving change).
  static func instant(_ fields: Fields, in calendar: Calendar) -> Date? {
    var zoned = calendar
    if let offset = fields.offset {
      guard let zone = TimeZone(secondsFromGMT: offset) else { return nil }
      zoned.timeZone = zone
    }
    let components = DateComponents(
      year: fields.year, month: fields.month, day: fields.day, hour: fields.hour,
      minute: fields.minute, second: fields.second)
    guard (1...12).contains(fields.month), (1...31).contains(fields.day), (0...23).contains(fields.hour),
      (0...59).contains(fields.minute), (0...59).contains(fields.second),
      let date = zoned.date(from: components)
    else { return nil }
    // Foundation rolls invalid dates over (31 April → 1 May) and shifts skipped times; refuse both.
    let back = zoned.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
    guard back.year == fields.year, back.month == fields.month, back.day == fields.day,
      back.hour == fields.hour, back.minute == fields.minute, back.second == fields.second
    else { return nil }
    return date.addingTimeInterval(Double(fields.nanosecond) / 1e9)
  }

  /// Reads `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM[:SS[.fraction]]`,
  /// optionally followed (after an optional space) by `Z`, `UTC`, `±HH:MM` or `±HHMM`. Strict:
  /// ASCII digits of exactly these widths, nothing else around it. `nil` if it does not match.
  ///
  /// - Parameter separator: the date's separator, `-` (ISO 8601) or `/` (Have Your Say).
  static func parse(_ text: String, separator: UInt8 = 0x2D) -> Fields? {
    let regex = separator == 0x2F ? slashPattern : dashPattern
    guard let regex, let match = try? regex.wholeMatch(in: text) else { return nil }
    func capture(_ index: Int) -> String? { match.output[index].substring.map(String.init) }
    func number(_ index: Int) -> Int? { capture(index).flatMap { Int($0) } }
    guard let year = number(1), let month = number(2), let day = number(3) else { return nil }
    var fields = Fields(year: year, month: month, day: day)
    if let hour = number(4), let minute = number(5) {
      (fields.hour, fields.minute) = (hour, minute)
      fields.second = number(6) ?? 0
      if let fraction = capture(7) {
        fields.nanosecond = Int(String((fraction + "000000000").prefix(9))) ?? 0
      }
    }
    if let zone = capture(8) {
      if zone == "Z" || zone == "UTC" {
        fields.offset = 0
      } else if let hours = number(10), let minutes = number(11) {
        guard hours <= 18, minutes < 60 else { return nil }
        fields.offset = (capture(9) == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
      }
    }
    return fields
  }

  /// The timestamp grammar of ``parse(_:separator:)`` as a regular expression (Swift's standard
  /// `Regex`), with `-` or `/` between the date's fields; ASCII digits only.
  private static func pattern(_ separator: String) -> Regex<AnyRegexOutput>? {
    try? Regex(
      "([0-9]{4})\\\(separator)([0-9]{2})\\\(separator)([0-9]{2})"
        + "(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\\.([0-9]+))?)?"
        + " ?(Z|UTC|([+-])([0-9]{2}):?([0-9]{2}))?)?")
  }
  // FIXME: `Regex<AnyRegexOutput>` is not declared Sendable, but a compiled regex is never
  // mutated after this initialiser (matching only reads it), so sharing it is safe.
  nonisolated(unsafe) private static let dashPattern = pattern("-")
  // FIXME: as above.
  nonisolated(unsafe) private static let slashPattern = pattern("/")
}
