#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// A `timestamptz` value: an instant, as whole microseconds since
/// 1970-01-01 00:00:00 UTC — exactly PostgreSQL's resolution
/// (PostgreSQL docs §8.5 "Date/Time Types": 1 microsecond, 4713 BC to 294276 AD).
///
/// `microsecondsSinceEpoch` is the truth; `Date` (a `Double` of seconds) is only
/// a conversion. Text is the ISO format PostgreSQL prints with `DateStyle` ISO
/// (§8.5.2 "Date/Time Output"), e.g. `2015-09-17 07:00:00.123456+00`; parsing
/// accepts any UTC offset (`+00`, `+05:30`, `-03:00:15`). `infinity`,
/// `-infinity` and BC dates are rejected with a `.decoding` error.
public struct PostgresTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible,
  PostgresEncodable,
  PostgresDecodable
{
  /// Microseconds since 1970-01-01 00:00:00 UTC; negative before 1970.
  public var microsecondsSinceEpoch: Int64

  /// Seconds between 1970-01-01 and 2001-01-01 (Foundation's reference date), UTC.
  private static let referenceDateOffsetSeconds: Int64 = 978_307_200
  private static let microsecondsPerSecond: Int64 = 1_000_000
  private static let microsecondsPerDay: Int64 = 86_400_000_000

  /// The instant `microsecondsSinceEpoch` µs after 1970-01-01 00:00:00 UTC.
  public init(microsecondsSinceEpoch: Int64) {
    self.microsecondsSinceEpoch = microsecondsSinceEpoch
  }

  /// The instant of `date`, rounded to the nearest microsecond (a `Date` made by
  /// `self.date` converts back exactly for any year within a few centuries of 2001).
  /// - Precondition: `date` is finite and within ±290,000 years of 1970 (traps otherwise).
  public init(_ date: Date) {
    let sinceReference = date.timeIntervalSinceReferenceDate
    precondition(sinceReference.isFinite, "PostgresTimestamp: Date is not finite")
    let wholeSeconds = sinceReference.rounded(.down)
    let fraction = sinceReference - wholeSeconds  // exact, in 0..<1
    let micros = Int64((fraction * 1_000_000).rounded())
    let seconds = Int64(wholeSeconds) + Self.referenceDateOffsetSeconds
    self.microsecondsSinceEpoch = seconds * Self.microsecondsPerSecond + micros
  }

  /// Builds the instant from calendar fields in the proleptic Gregorian calendar,
  /// given at UTC offset `utcOffsetSeconds` (east positive, e.g. +02:00 is 7200).
  /// - Throws: `.usage` if a field is out of range (month 1–12, day valid for the
  ///   month, hour 0–23, minute/second 0–59, microsecond 0–999999, year ≥ 1) or the
  ///   result does not fit in Int64 microseconds.
  public init(
    year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0,
    microsecond: Int = 0,
    utcOffsetSeconds: Int = 0
  ) throws(PostgresError) {
    do {
      self = try Self.make(
        year: Int64(year), month: Int64(month), day: Int64(day), hour: Int64(hour),
        minute: Int64(minute),
        second: Int64(second), microsecond: Int64(microsecond), offset: Int64(utcOffsetSeconds))
    } catch {
      throw .usage(error.message)
    }
  }

  /// Parses PostgreSQL's ISO output of `timestamptz` (also `timestamp` — read as
  /// UTC — and `date`, read as midnight UTC): `YYYY-MM-DD[ HH:MM:SS[.f{1,6}]][±HH[:MM[:SS]]|Z]`;
  /// `T` is accepted in place of the space.
  /// - Throws: `.decoding` for `infinity`/`-infinity`, BC dates, malformed text or
  ///   values out of range.
  public init(postgresText text: String) throws(PostgresError) {
    if text == "infinity" || text == "-infinity" {
      throw .decoding("timestamp \(text) is not supported (only finite timestamps)")
    }
    if text.hasSuffix(" BC") {
      throw .decoding("BC timestamps are not supported")
    }
    var parser = Parser(Array(text.utf8))
    let invalid = PostgresError.decoding(
      "not a valid ISO timestamp (expected YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM])")
    guard let year = parser.digits(min: 4, max: 6), parser.take(UInt8(ascii: "-")),
      let month = parser.digits(min: 2, max: 2), parser.take(UInt8(ascii: "-")),
      let day = parser.digits(min: 2, max: 2)
    else { throw invalid }
    var hour: Int64 = 0
    var minute: Int64 = 0
    var second: Int64 = 0
    var micros: Int64 = 0
    var offset: Int64 = 0
    if !parser.atEnd {
      guard parser.take(UInt8(ascii: " ")) || parser.take(UInt8(ascii: "T")),
        let h = parser.digits(min: 2, max: 2), parser.take(UInt8(ascii: ":")),
        let m = parser.digits(min: 2, max: 2), parser.take(UInt8(ascii: ":")),
        let s = parser.digits(min: 2, max: 2)
      else { throw invalid }
      (hour, minute, second) = (h, m, s)
      if parser.take(UInt8(ascii: ".")) {
        guard let (value, count) = parser.digitsWithCount(min: 1, max: 6) else { throw invalid }
        micros = value
        for _ in count..<6 { micros *= 10 }
      }
      if parser.take(UInt8(ascii: "Z")) {
        offset = 0
      } else if let sign = parser.sign() {
        guard let oh = parser.digits(min: 2, max: 2) else { throw invalid }
        var om: Int64 = 0
        var os: Int64 = 0
        if parser.take(UInt8(ascii: ":")) {
          guard let value = parser.digits(min: 2, max: 2) else { throw invalid }
          om = value
          if parser.take(UInt8(ascii: ":")) {
            guard let value = parser.digits(min: 2, max: 2) else { throw invalid }
            os = value
          }
        }
        guard om < 60, os < 60 else { throw invalid }
        offset = sign * (oh * 3600 + om * 60 + os)
      }
    }
    guard parser.atEnd else { throw invalid }
    self = try Self.make(
      year: year, month: month, day: day, hour: hour, minute: minute, second: second,
      microsecond: micros,
      offset: offset)
  }

  /// The instant as a `Date`: whole seconds by floor division (so pre-1970 values
  /// are correct), plus the microsecond remainder as a fraction.
  public var date: Date {
    let (seconds, micros) = Self.floorDivide(microsecondsSinceEpoch, Self.microsecondsPerSecond)
    return Date(
      timeIntervalSinceReferenceDate: Double(seconds - Self.referenceDateOffsetSeconds) + Double(
        micros) / 1_000_000)
  }

  /// ISO text in UTC as PostgreSQL prints it: `YYYY-MM-DD HH:MM:SS[.ffffff]+00`,
  /// fraction without trailing zeros, omitted when zero; years before 1 AD are
  /// printed with PostgreSQL's ` BC` suffix (and can be sent, but not decoded).
  public var postgresText: String {
    let (days, microsOfDay) = Self.floorDivide(microsecondsSinceEpoch, Self.microsecondsPerDay)
    let (year, month, day) = Self.civil(fromDays: days)
    let (seconds, micros) = (
      microsOfDay / Self.microsecondsPerSecond, microsOfDay % Self.microsecondsPerSecond
    )
    let isBC = year <= 0
    var text = pad(isBC ? 1 - year : year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
    text +=
      " " + pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2)
    if micros != 0 {
      var fraction = pad(micros, 6)
      while fraction.hasSuffix("0") { fraction.removeLast() }
      text += "." + fraction
    }
    text += "+00"
    if isBC { text += " BC" }
    return text
  }

  /// Same as `postgresText`.
  public var description: String { postgresText }

  /// Orders by instant.
  public static func < (lhs: PostgresTimestamp, rhs: PostgresTimestamp) -> Bool {
    lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
  }

  // MARK: - Calendar arithmetic (proleptic Gregorian, exact integers)

  private static func make(
    year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64,
    microsecond: Int64,
    offset: Int64
  ) throws(PostgresError) -> PostgresTimestamp {
    guard year >= 1, (1...12).contains(month), day >= 1,
      day <= daysInMonth(year: year, month: month),
      (0..<24).contains(hour), (0..<60).contains(minute), (0..<60).contains(second),
      (0..<1_000_000).contains(microsecond), abs(offset) < 24 * 3600
    else { throw .decoding("timestamp field out of range") }
    let days = daysFromCivil(year: year, month: month, day: day)
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
    let (scaled, overflow1) = seconds.multipliedReportingOverflow(by: microsecondsPerSecond)
    let (total, overflow2) = scaled.addingReportingOverflow(microsecond)
    guard !overflow1, !overflow2 else {
      throw .decoding("timestamp out of range for microseconds since 1970")
    }
    return PostgresTimestamp(microsecondsSinceEpoch: total)
  }

  private static func isLeap(_ year: Int64) -> Bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
  }

  private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
    switch month {
    case 2: return isLeap(year) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
  private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  /// Year (0 = 1 BC), month, day of a day count since 1970-01-01 (`civil_from_days`).
  private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }

  /// Quotient rounded toward negative infinity and the non-negative remainder.
  private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
    let quotient = value / divisor
    let remainder = value % divisor
    return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
  }
}

/// Zero-pads a non-negative number to at least `width` digits.
private func pad(_ value: Int64, _ width: Int) -> String {
  let digits = String(value)
  return digits.count >= width
    ? digits : String(repeating: "0", count: width - digits.count) + digits
}

/// A cursor over ASCII bytes for the timestamp parser.
private struct Parser {
  let bytes: [UInt8]
  var index = 0

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  var atEnd: Bool { index == bytes.count }

  mutating func take(_ byte: UInt8) -> Bool {
    guard index < bytes.count, bytes[index] == byte else { return false }
    index += 1
    return true
  }

  /// `+1` for `+`, `-1` for `-`, consuming it; nil otherwise.
  mutating func sign() -> Int64? {
    if take(UInt8(ascii: "+")) { return 1 }
    if take(UInt8(ascii: "-")) { return -1 }
    return nil
  }

  mutating func digits(min: Int, max: Int) -> Int64? {
    digitsWithCount(min: min, max: max)?.0
  }

  /// Reads `min...max` decimal digits (stopping at the first non-digit).
  mutating func digitsWithCount(min: Int, max: Int) -> (Int64, Int)? {
    var value: Int64 = 0
    var count = 0
    while index < bytes.count, count < max,
      (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index])
    {
      value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
      index += 1
      count += 1
    }
    // More digits than allowed is malformed, not a silent truncation.
    if index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
      return nil
    }
    return count >= min ? (value, count) : nil
  }
}
