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
    var scanner = ByteScanner(Array(text.utf8))
    guard let year = scanner.number(4), scanner.skip(separator), let month = scanner.number(2),
      scanner.skip(separator), let day = scanner.number(2)
    else { return nil }
    var fields = Fields(year: year, month: month, day: day)
    if scanner.atEnd { return fields }
    guard scanner.skip(0x54) || scanner.skip(0x20), let hour = scanner.number(2), scanner.skip(0x3A),
      let minute = scanner.number(2)
    else { return nil }
    (fields.hour, fields.minute) = (hour, minute)
    if scanner.skip(0x3A) {
      guard let second = scanner.number(2) else { return nil }
      fields.second = second
      if scanner.skip(0x2E) {
        let digits = scanner.digits()
        guard !digits.isEmpty else { return nil }
        let nine = (digits + Array(repeating: 0x30, count: 9)).prefix(9)
        fields.nanosecond = nine.reduce(0) { $0 * 10 + Int($1 - 0x30) }
      }
    }
    if scanner.atEnd { return fields }
    _ = scanner.skip(0x20)
    if scanner.skip(0x5A) || scanner.skipText("UTC") {
      fields.offset = 0
    } else {
      let sign: Int
      if scanner.skip(0x2B) {
        sign = 1
      } else if scanner.skip(0x2D) {
        sign = -1
      } else {
        return nil
      }
      guard let hours = scanner.number(2) else { return nil }
      _ = scanner.skip(0x3A)
      guard let minutes = scanner.number(2), hours <= 18, minutes < 60 else { return nil }
      fields.offset = sign * (hours * 3600 + minutes * 60)
    }
    return scanner.atEnd ? fields : nil
  }

  /// A cursor over ASCII bytes.
  private struct ByteScanner {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    /// Consumes `byte` if it is next.
    mutating func skip(_ byte: UInt8) -> Bool {
      guard position < bytes.count, bytes[position] == byte else { return false }
      position += 1
      return true
    }

    /// Consumes `text` if it comes next.
    mutating func skipText(_ text: String) -> Bool {
      let wanted = Array(text.utf8)
      guard bytes[position...].starts(with: wanted) else { return false }
      position += wanted.count
      return true
    }

    /// Consumes exactly `width` ASCII digits and returns their value.
    mutating func number(_ width: Int) -> Int? {
      guard position + width <= bytes.count else { return nil }
      var value = 0
      for byte in bytes[position..<position + width] {
        guard (0x30...0x39).contains(byte) else { return nil }
        value = value * 10 + Int(byte - 0x30)
      }
      position += width
      return value
    }

    /// Consumes every ASCII digit that comes next.
    mutating func digits() -> [UInt8] {
      let start = position
      while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
      return Array(bytes[start..<position])
    }
  }
}
