import Foundation

// The one rule by which consult turns a local wall-clock time into an instant, used by every CLI
// option that takes a time and by every importer:
//
// - a time written with a UTC offset (`Z`, `+02:00`, `+0200`, `+02`) is that instant; the time
//   zone plays no part;
// - a local time is looked up in the zone's rules (the IANA tz database, through Foundation's
//   `TimeZone`): a time that exists once is that instant; a time skipped when the clocks went
//   forward is refused, saying so; a time that happens twice because the clocks went back is
//   refused with both candidate instants, unless the caller's format documents which one its
//   source means (``LocalTimeResolver/Ambiguity/earlier``);
// - a date or time of day that exists in no zone (31 April, 25:00) is refused as malformed.

/// A date and time of day as a clock on the wall shows it, in no particular time zone: the
/// fields of `2026-10-25T02:30`, proleptic Gregorian calendar, 24-hour clock.
///
/// The fields are stored as given; ``isValid`` says whether they name a real date and time of
/// day. Which instant (if any) they name depends on the time zone: see ``LocalTimeResolver``.
public struct LocalDateTime: Sendable, Hashable, CustomStringConvertible {
  /// The year (e.g. `2026`); year 0 is 1 BC, as in ISO 8601.
  public var year: Int
  /// The month, 1–12.
  public var month: Int
  /// The day of the month, 1–31.
  public var day: Int
  /// The hour, 0–23.
  public var hour: Int
  /// The minute, 0–59.
  public var minute: Int
  /// The second, 0–59 (leap seconds are not accepted).
  public var second: Int
  /// The fraction of the second in nanoseconds, 0–999,999,999.
  public var nanosecond: Int

  /// Creates a wall-clock time from its fields, unchecked (see ``isValid``).
  ///
  /// - Parameters:
  ///   - year: the Gregorian year.
  ///   - month: 1–12.
  ///   - day: 1–31.
  ///   - hour: 0–23, default 0.
  ///   - minute: 0–59, default 0.
  ///   - second: 0–59, default 0.
  ///   - nanosecond: the fraction of the second in nanoseconds, default 0.
  public init(
    year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, nanosecond: Int = 0
  ) {
    self.year = year
    self.month = month
    self.day = day
    self.hour = hour
    self.minute = minute
    self.second = second
    self.nanosecond = nanosecond
  }

  /// The date and time of day UTC clocks showed at `date` (UTC has no clock changes, so this is
  /// exact and ``LocalTimeResolver/utc`` maps it back to `date`).
  ///
  /// - Parameter date: an instant; its fraction of a second is kept to the nanosecond.
  public init(utcOf date: Date) {
    let interval = date.timeIntervalSince1970
    let seconds = interval.rounded(.down)
    let nanosecond = min(999_999_999, Int(((interval - seconds) * 1e9).rounded()))
    self.init(secondsAsIfUTC: Int(seconds), nanosecond: nanosecond)
  }

  /// Whether the fields name a day of the proleptic Gregorian calendar (month 1–12, a day that
  /// exists in that month, leap years included) and a time of day from 00:00:00 to 23:59:59.
  /// `false` for 31 April, 29 February 2027, 25:00 or 10:60.
  public var isValid: Bool {
    (1...12).contains(month) && (1...Self.daysIn(month: month, year: year)).contains(day)
      && (0...23).contains(hour) && (0...59).contains(minute) && (0...59).contains(second)
      && (0...999_999_999).contains(nanosecond)
  }

  /// `YYYY-MM-DDTHH:MM`, with `:SS` when the seconds are not zero and a decimal fraction when
  /// there is one: `2026-10-25T02:30`, `2026-10-25T02:30:15`, `2026-10-25T02:30:15.25`.
  public var description: String {
    var text = "\(Self.pad(year, 4))-\(Self.pad(month))-\(Self.pad(day))T\(clockText)"
    if nanosecond != 0 {
      var fraction = Self.pad(nanosecond, 9)
      while fraction.hasSuffix("0") { fraction.removeLast() }
      if second == 0 { text += ":00" }
      text += "." + fraction
    }
    return text
  }

  /// `HH:MM`, with `:SS` when the seconds are not zero (the fraction left out).
  var clockText: String {
    "\(Self.pad(hour)):\(Self.pad(minute))" + (second != 0 ? ":\(Self.pad(second))" : "")
  }

  /// The number of seconds from 1970-01-01T00:00:00 to this wall-clock time counting every day
  /// as 86,400 seconds, i.e. the Unix time this would be if the clock showed UTC. The fraction
  /// of a second is left out. Meaningful only when ``isValid``.
  var secondsAsIfUTC: Int {
    Self.daysFromCivil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second
  }

  /// The wall-clock time `seconds` after 1970-01-01T00:00:00 counting every day as 86,400
  /// seconds (the inverse of ``secondsAsIfUTC``).
  init(secondsAsIfUTC seconds: Int, nanosecond: Int = 0) {
    let days = seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400)
    let rest = seconds - days * 86_400
    let (year, month, day) = Self.civil(fromDays: days)
    self.init(
      year: year, month: month, day: day, hour: rest / 3_600, minute: rest % 3_600 / 60, second: rest % 60,
      nanosecond: nanosecond)
  }

  /// Whether `other` falls on the same calendar day.
  func isSameDay(as other: LocalDateTime) -> Bool {
    year == other.year && month == other.month && day == other.day
  }

  /// The number of days in `month` (1–12) of `year`, proleptic Gregorian calendar; 0 for a
  /// month out of range.
  static func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2:
      let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
      return leap ? 29 : 28
    case 4, 6, 9, 11: return 30
    case 1, 3, 5, 7, 8, 10, 12: return 31
    default: return 0
    }
  }

  /// Days from 1970-01-01 to the given Gregorian date (negative before it); H. Hinnant's
  /// `days_from_civil` algorithm, exact for every year.
  static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  /// The Gregorian date `days` after 1970-01-01 (H. Hinnant's `civil_from_days`).
  static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }

  /// `value` in decimal, zero-padded to `width` digits.
  static func pad(_ value: Int, _ width: Int = 2) -> String {
    let digits = String(value.magnitude)
    return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
  }
}

/// A date and time as written in a file or on the command line: the wall-clock fields and, when
/// the text carries one, its UTC offset.
public struct WrittenTime: Sendable, Hashable {
  /// The date and time of day as written (midnight when only a date is written).
  public var local: LocalDateTime
  /// The UTC offset written after the time, in seconds east of UTC (`+02:00` → 7,200, `Z` → 0);
  /// `nil` when none is written, so that the time is local to some time zone.
  public var offset: Int?

  /// Creates a written time; see the properties.
  public init(local: LocalDateTime, offset: Int? = nil) {
    self.local = local
    self.offset = offset
  }

  /// The separator between a written date's year, month and day.
  public enum DateSeparator: Sendable {
    /// `2026-10-25` (ISO 8601, RFC 3339).
    case hyphen
    /// `2026/10/25` (EU Have Your Say exports).
    case slash
  }

  /// Reads `YYYY-MM-DD`, optionally followed by `T` (or `t`, or a space) and
  /// `HH:MM[:SS[.fraction]]`, optionally followed (after an optional space) by a UTC offset:
  /// `Z` (or `z`), `UTC`, `±HH:MM`, `±HHMM` or `±HH`.
  ///
  /// This covers RFC 3339 §5.6 `date-time` (`2026-10-25T02:30:00+02:00`, `…Z`) and the ISO 8601
  /// extended forms without seconds (`2026-10-25T02:30+02:00`) or without an offset
  /// (`2026-10-25T02:30`, local to a time zone the caller knows). Strict: ASCII digits of exactly
  /// these widths, an offset of at most 18 hours, nothing else around it. The fields are not
  /// checked against the calendar here (`2026-04-31` parses); ``LocalTimeResolver`` does that.
  ///
  /// - Parameters:
  ///   - text: the text as written.
  ///   - separator: what separates the date's fields (`-` unless given).
  /// - Returns: the written fields and offset, or `nil` when `text` does not match.
  public static func parse(_ text: String, separator: DateSeparator = .hyphen) -> WrittenTime? {
    let regex = separator == .slash ? slashPattern : hyphenPattern
    guard let regex, let match = try? regex.wholeMatch(in: text) else { return nil }
    func capture(_ index: Int) -> String? { match.output[index].substring.map(String.init) }
    func number(_ index: Int) -> Int? { capture(index).flatMap { Int($0) } }
    guard let year = number(1), let month = number(2), let day = number(3) else { return nil }
    var local = LocalDateTime(year: year, month: month, day: day)
    var offset: Int? = nil
    if let hour = number(4), let minute = number(5) {
      (local.hour, local.minute) = (hour, minute)
      local.second = number(6) ?? 0
      if let fraction = capture(7) {
        local.nanosecond = Int(String((fraction + "000000000").prefix(9))) ?? 0
      }
    }
    if let zone = capture(8) {
      if zone == "Z" || zone == "z" || zone == "UTC" {
        offset = 0
      } else if let hours = number(10) {
        let minutes = number(11) ?? 0
        guard hours <= 18, minutes < 60 else { return nil }
        offset = (capture(9) == "-" ? -1 : 1) * (hours * 3_600 + minutes * 60)
      }
    }
    return WrittenTime(local: local, offset: offset)
  }

  /// The grammar of ``parse(_:separator:)`` as a regular expression (Swift's standard `Regex`),
  /// with `separator` between the date's fields; ASCII digits only.
  private static func pattern(_ separator: String) -> Regex<AnyRegexOutput>? {
    try? Regex(
      "([0-9]{4})\\\(separator)([0-9]{2})\\\(separator)([0-9]{2})"
        + "(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\\.([0-9]+))?)?"
        + " ?(Z|z|UTC|([+-])([0-9]{2})(?::?([0-9]{2}))?)?)?")
  }
  // FIXME: `Regex<AnyRegexOutput>` is not declared Sendable, but a compiled regex is never
  // mutated after this initialiser (matching only reads it), so sharing it is safe.
  nonisolated(unsafe) private static let hyphenPattern = pattern("-")
  // FIXME: as above.
  nonisolated(unsafe) private static let slashPattern = pattern("/")
}

/// Why a written date and time names no single instant.
///
/// ``description`` is the message for the user, without the field, file or column, which the
/// caller puts in front (`--starts: …`, `file.csv:12: column "Submitted": …`).
public struct LocalTimeError: Error, Sendable, Equatable, CustomStringConvertible {
  /// One instant a repeated local time can mean.
  public struct Candidate: Sendable, Equatable {
    /// The instant.
    public var instant: Date
    /// The zone's UTC offset at that instant, in seconds east of UTC.
    public var offset: Int
    /// Whether the zone observes daylight-saving ("summer") time at that instant.
    public var isDaylightSavingTime: Bool
  }

  /// What is wrong.
  public enum Problem: Sendable, Equatable {
    /// The fields name no date or time of day in any zone (31 April, 25:00).
    case invalid
    /// The clocks skipped this time: at the change they jumped from `from` to `to` (wall-clock
    /// times in the zone, e.g. 02:00 → 03:00); both are the time itself if the change could not
    /// be located.
    case skipped(from: LocalDateTime, to: LocalDateTime)
    /// The clocks showed this time twice (they went back); the candidate instants, earliest first.
    case repeated([Candidate])
  }

  /// The date and time as the user wrote it, quoted in ``description``.
  public var text: String
  /// The wall-clock fields.
  public var local: LocalDateTime
  /// The IANA identifier of the zone the time was looked up in.
  public var zone: String
  /// What is wrong.
  public var problem: Problem

  /// Creates an error; see the properties.
  public init(text: String, local: LocalDateTime, zone: String, problem: Problem) {
    self.text = text
    self.local = local
    self.zone = zone
    self.problem = problem
  }

  /// The message, e.g.
  /// `2026-03-29T02:30 does not exist in Europe/Berlin (clocks went forward from 02:00 to 03:00 that night)`,
  /// `2026-10-25T02:30 happens twice in Europe/Berlin: 2026-10-25T02:30+02:00 (summer time) or 2026-10-25T02:30+01:00 (standard time); give the offset`,
  /// `2026-04-31T10:00 is not a real date and time (no such day, hour, minute or second)`.
  public var description: String {
    switch problem {
    case .invalid:
      return "\(text) is not a real date and time (no such day, hour, minute or second)"
    case .skipped(let from, let to):
      let jump: String
      if from == to {
        return "\(text) does not exist in \(zone) (the clocks skipped it)"
      } else if from.isSameDay(as: local) && to.isSameDay(as: local) {
        jump = "from \(from.clockText) to \(to.clockText) \(from.hour < 6 ? "that night" : "that day")"
      } else {
        jump = "from \(from) to \(to)"
      }
      return "\(text) does not exist in \(zone) (clocks went forward \(jump))"
    case .repeated(let candidates):
      let differ = Set(candidates.map(\.isDaylightSavingTime)).count > 1
      let listed = candidates.enumerated().map { index, candidate in
        let label =
          differ
          ? (candidate.isDaylightSavingTime ? "summer time" : "standard time")
          : (index == 0 ? "before the clocks went back" : "after the clocks went back")
        return "\(local)\(Self.offsetText(candidate.offset)) (\(label))"
      }
      return "\(text) happens twice in \(zone): \(listed.joined(separator: " or ")); give the offset"
    }
  }

  /// An offset in seconds east of UTC as RFC 3339 writes it: `+02:00`, `-04:00`, `+10:30`
  /// (`±HH:MM:SS` for the odd historic offset with seconds).
  static func offsetText(_ offset: Int) -> String {
    let magnitude = offset.magnitude
    var text =
      (offset < 0 ? "-" : "+") + LocalDateTime.pad(Int(magnitude / 3_600)) + ":"
      + LocalDateTime.pad(Int(magnitude % 3_600 / 60))
    if magnitude % 60 != 0 { text += ":" + LocalDateTime.pad(Int(magnitude % 60)) }
    return text
  }
}

/// Turns written dates and times into instants by the one rule consult applies everywhere (CLI
/// options and every importer):
///
/// - with a written UTC offset (RFC 3339 / ISO 8601: `Z`, `±HH:MM`, `±HHMM`, `±HH`) the time is
///   that instant, whatever the zone;
/// - without one it is wall-clock time in ``zoneIdentifier``, looked up in the IANA tz database
///   (through Foundation's `TimeZone`): a time that happens once is that instant; a time skipped
///   when the clocks went forward is refused (``LocalTimeError/Problem/skipped(from:to:)``); a
///   time that happens twice because the clocks went back is refused with both candidates
///   (``LocalTimeError/Problem/repeated(_:)``) unless the caller passes
///   ``Ambiguity/earlier``, which only an import format that documents the earlier instant as
///   its source's meaning may do (Have Your Say);
/// - fields that name no date or time of day (31 April, 25:00) are refused in any zone
///   (``LocalTimeError/Problem/invalid``).
public struct LocalTimeResolver: Sendable {
  /// Which instant a repeated local time (clocks went back) stands for.
  public enum Ambiguity: Sendable {
    /// None: it is refused with both candidates (the rule).
    case refuse
    /// The earlier one (before the clocks went back, usually still summer time). Only for import
    /// formats that document it.
    case earlier
  }

  /// The IANA identifier of the zone local times are read in, e.g. `Europe/Berlin`.
  public let zoneIdentifier: String
  /// The zone's rules.
  public let zone: TimeZone

  /// A resolver for the zone with IANA identifier `zoneIdentifier`.
  ///
  /// - Returns: `nil` when the system's tz database does not know the identifier.
  public init?(zoneIdentifier: String) {
    guard let zone = TimeZone(identifier: zoneIdentifier) else { return nil }
    self.zoneIdentifier = zoneIdentifier
    self.zone = zone
  }

  /// UTC, which has no clock changes: every valid local time is one instant.
  public static let utc = LocalTimeResolver(zoneIdentifier: "UTC")!

  /// The instant `written` names: with its written offset when it has one, else as wall-clock
  /// time in ``zone`` by the rule above.
  ///
  /// - Parameters:
  ///   - written: the parsed fields (see ``WrittenTime/parse(_:separator:)``).
  ///   - text: the text as written, quoted in the error; `written.local`'s ISO form if `nil`.
  ///   - ambiguous: what a repeated local time means (``Ambiguity/refuse`` unless the source's
  ///     format documents otherwise).
  /// - Returns: the instant (a `Date`, i.e. seconds since 1970-01-01T00:00:00Z).
  /// - Throws: ``LocalTimeError`` when the fields are not a real date and time, or (without an
  ///   offset) the time was skipped or, with ``Ambiguity/refuse``, happens twice in the zone.
  public func instant(
    _ written: WrittenTime, text: String? = nil, ambiguous: Ambiguity = .refuse
  ) throws(LocalTimeError) -> Date {
    if let offset = written.offset {
      let local = written.local
      guard local.isValid else {
        throw LocalTimeError(text: text ?? "\(local)", local: local, zone: zoneIdentifier, problem: .invalid)
      }
      return Self.date(local.secondsAsIfUTC - offset, local.nanosecond)
    }
    return try instant(written.local, text: text, ambiguous: ambiguous)
  }

  /// The instant the wall-clock time `local` names in ``zone``, by the rule above.
  ///
  /// - Parameters:
  ///   - local: the date and time of day on the zone's clocks.
  ///   - text: the text as written, quoted in the error; `local`'s ISO form if `nil`.
  ///   - ambiguous: what a repeated local time means (``Ambiguity/refuse`` unless the source's
  ///     format documents otherwise).
  /// - Returns: the instant.
  /// - Throws: ``LocalTimeError``: ``LocalTimeError/Problem/invalid`` (no such date or time of
  ///   day), ``LocalTimeError/Problem/skipped(from:to:)`` (the clocks jumped over it) or, with
  ///   ``Ambiguity/refuse``, ``LocalTimeError/Problem/repeated(_:)`` (it happened twice).
  public func instant(
    _ local: LocalDateTime, text: String? = nil, ambiguous: Ambiguity = .refuse
  ) throws(LocalTimeError) -> Date {
    func fail(_ problem: LocalTimeError.Problem) -> LocalTimeError {
      LocalTimeError(text: text ?? "\(local)", local: local, zone: zoneIdentifier, problem: problem)
    }
    guard local.isValid else { throw fail(.invalid) }
    let wall = local.secondsAsIfUTC
    let (offsets, transitions) = offsetsNear(wall)
    // An instant t shows `wall` on the zone's clocks when t + offset(t) == wall; every offset
    // in force near `wall` is a candidate.
    var instants: [Int] = []
    for offset in offsets {
      let instant = wall - offset
      if !instants.contains(instant), secondsFromGMT(instant) == offset { instants.append(instant) }
    }
    instants.sort()
    switch instants.count {
    case 0:
      // The change whose forward jump spans `wall`.
      let jump = transitions.first { $0.before < $0.after && $0.at + $0.before <= wall && wall < $0.at + $0.after }
      guard let jump else { throw fail(.skipped(from: local, to: local)) }
      throw fail(
        .skipped(
          from: LocalDateTime(secondsAsIfUTC: jump.at + jump.before),
          to: LocalDateTime(secondsAsIfUTC: jump.at + jump.after)))
    case 1:
      return Self.date(instants[0], local.nanosecond)
    default:
      if ambiguous == .earlier { return Self.date(instants[0], local.nanosecond) }
      throw fail(
        .repeated(
          instants.map { instant in
            let date = Self.date(instant, 0)
            return LocalTimeError.Candidate(
              instant: Self.date(instant, local.nanosecond), offset: wall - instant,
              isDaylightSavingTime: zone.isDaylightSavingTime(for: date))
          }))
    }
  }

  /// The zone's offset at Unix time `seconds`, in seconds east of UTC.
  private func secondsFromGMT(_ seconds: Int) -> Int {
    zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds)))
  }

  /// Every UTC offset the zone uses within a day of the wall-clock time `wall` (as Unix time, see
  /// ``LocalDateTime/secondsAsIfUTC``), and the changes between them: each change's instant and
  /// the offsets just before and from it. A day either side is more than the largest offset any
  /// zone has used (under 16 hours), so every instant that could show `wall` is covered.
  private func offsetsNear(_ wall: Int) -> (offsets: [Int], transitions: [(at: Int, before: Int, after: Int)]) {
    let window = 26 * 3_600
    var offsets = [secondsFromGMT(wall - window)]
    var transitions: [(at: Int, before: Int, after: Int)] = []
    var cursor = Date(timeIntervalSince1970: Double(wall - window))
    // Foundation reports every change of offset (daylight-saving or standard) as a transition.
    for _ in 0..<8 {
      guard let next = zone.nextDaylightSavingTimeTransition(after: cursor),
        next.timeIntervalSince1970 <= Double(wall + window), next > cursor
      else { break }
      let at = Int(next.timeIntervalSince1970.rounded(.down))
      let after = secondsFromGMT(at)
      transitions.append((at, secondsFromGMT(at - 1), after))
      if !offsets.contains(after) { offsets.append(after) }
      cursor = next
    }
    // Also the offsets at `wall` itself and a day after, should the transition list miss one.
    for instant in [wall, wall + window] {
      let offset = secondsFromGMT(instant)
      if !offsets.contains(offset) { offsets.append(offset) }
    }
    return (offsets, transitions)
  }

  /// The `Date` `seconds` (Unix time) plus `nanosecond` nanoseconds.
  private static func date(_ seconds: Int, _ nanosecond: Int) -> Date {
    Date(timeIntervalSince1970: Double(seconds) + Double(nanosecond) / 1e9)
  }
}
