import ConsultCore
import Foundation
import Testing

/// The one rule for local times: gaps and overlaps of clock changes, offsets, impossible dates.
@Suite("Local times and clock changes")
struct LocalTimeTests {
  /// The instant written in RFC 3339 with an offset (parsed by Foundation, independently of the
  /// code under test).
  static func instant(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: text)!
  }

  /// `text` (ISO 8601 without an offset) resolved in `zone`.
  static func resolve(
    _ text: String, in zone: String, ambiguous: LocalTimeResolver.Ambiguity = .refuse
  ) throws -> Date {
    let resolver = try #require(LocalTimeResolver(zoneIdentifier: zone))
    let written = try #require(WrittenTime.parse(text))
    return try resolver.instant(written, text: text, ambiguous: ambiguous)
  }

  /// The error resolving `text` in `zone` throws.
  static func error(_ text: String, in zone: String) throws -> LocalTimeError {
    try #require(throws: LocalTimeError.self) { try resolve(text, in: zone) }
  }

  @Test(
    "a local time that happens once is that instant",
    arguments: [
      ("2026-07-01T12:00", "Europe/Berlin", "2026-07-01T10:00:00Z"),
      ("2026-01-15T12:00", "Europe/Berlin", "2026-01-15T11:00:00Z"),
      // The edges of the gap and of the overlap.
      ("2026-03-29T01:59:59", "Europe/Berlin", "2026-03-29T00:59:59Z"),
      ("2026-03-29T03:00", "Europe/Berlin", "2026-03-29T01:00:00Z"),
      ("2026-10-25T01:59:59", "Europe/Berlin", "2026-10-24T23:59:59Z"),
      ("2026-10-25T03:00", "Europe/Berlin", "2026-10-25T02:00:00Z"),
      ("2026-03-08T03:00", "America/New_York", "2026-03-08T07:00:00Z"),
      ("2026-11-01T02:00", "America/New_York", "2026-11-01T07:00:00Z"),
      ("2026-10-04T02:30", "Australia/Lord_Howe", "2026-10-03T15:30:00Z"),
      ("2026-04-05T02:00", "Australia/Lord_Howe", "2026-04-04T15:30:00Z"),
      // A zone without daylight-saving time: the European and American change nights are plain nights.
      ("2026-03-29T02:30", "Asia/Tokyo", "2026-03-28T17:30:00Z"),
      ("2026-10-25T02:30", "Asia/Tokyo", "2026-10-24T17:30:00Z"),
      ("2026-11-01T01:30", "Asia/Tokyo", "2026-10-31T16:30:00Z"),
      ("2026-10-25T02:30", "UTC", "2026-10-25T02:30:00Z"),
      ("2026-10-25", "Europe/Berlin", "2026-10-24T22:00:00Z"),
    ])
  func once(text: String, zone: String, expected: String) throws {
    #expect(try Self.resolve(text, in: zone) == Self.instant(expected))
  }

  @Test("Europe/Berlin spring gap: 02:00–02:59 on the last Sunday of March does not exist")
  func berlinGap() throws {
    let error = try Self.error("2026-03-29T02:30", in: "Europe/Berlin")
    #expect(
      error.description
        == "2026-03-29T02:30 does not exist in Europe/Berlin (clocks went forward from 02:00 to 03:00 that night)")
    #expect(
      error.problem
        == .skipped(
          from: LocalDateTime(year: 2026, month: 3, day: 29, hour: 2),
          to: LocalDateTime(year: 2026, month: 3, day: 29, hour: 3)))
    #expect(throws: LocalTimeError.self) { try Self.resolve("2026-03-29T02:00", in: "Europe/Berlin") }
    #expect(throws: LocalTimeError.self) { try Self.resolve("2026-03-29T02:59:59", in: "Europe/Berlin") }
  }

  @Test("Europe/Berlin autumn overlap: 02:00–02:59 on the last Sunday of October happens twice")
  func berlinOverlap() throws {
    let error = try Self.error("2026-10-25T02:30", in: "Europe/Berlin")
    #expect(
      error.description
        == "2026-10-25T02:30 happens twice in Europe/Berlin: 2026-10-25T02:30+02:00 (summer time) or "
        + "2026-10-25T02:30+01:00 (standard time); give the offset")
    guard case .repeated(let candidates) = error.problem else {
      Issue.record("not repeated: \(error)")
      return
    }
    #expect(candidates.map(\.instant) == [Self.instant("2026-10-25T00:30:00Z"), Self.instant("2026-10-25T01:30:00Z")])
    #expect(candidates.map(\.offset) == [7_200, 3_600])
    #expect(candidates.map(\.isDaylightSavingTime) == [true, false])
    // Each candidate, written with its offset, is accepted as that instant.
    #expect(try Self.resolve("2026-10-25T02:30+02:00", in: "Europe/Berlin") == candidates[0].instant)
    #expect(try Self.resolve("2026-10-25T02:30+01:00", in: "Europe/Berlin") == candidates[1].instant)
    // The documented exception some import formats make: the earlier instant.
    #expect(try Self.resolve("2026-10-25T02:30", in: "Europe/Berlin", ambiguous: .earlier) == candidates[0].instant)
  }

  @Test("America/New_York: 02:00–02:59 skipped in March, 01:00–01:59 twice in November")
  func newYork() throws {
    #expect(
      try Self.error("2026-03-08T02:30", in: "America/New_York").description
        == "2026-03-08T02:30 does not exist in America/New_York (clocks went forward from 02:00 to 03:00 that night)")
    #expect(
      try Self.error("2026-11-01T01:30", in: "America/New_York").description
        == "2026-11-01T01:30 happens twice in America/New_York: 2026-11-01T01:30-04:00 (summer time) or "
        + "2026-11-01T01:30-05:00 (standard time); give the offset")
  }

  @Test("Australia/Lord_Howe: a 30-minute change, 02:00–02:29 skipped in October, 01:30–01:59 twice in April")
  func lordHowe() throws {
    #expect(
      try Self.error("2026-10-04T02:15", in: "Australia/Lord_Howe").description
        == "2026-10-04T02:15 does not exist in Australia/Lord_Howe (clocks went forward from 02:00 to 02:30 that night)"
    )
    let twice = try Self.error("2026-04-05T01:45", in: "Australia/Lord_Howe")
    #expect(
      twice.description
        == "2026-04-05T01:45 happens twice in Australia/Lord_Howe: 2026-04-05T01:45+11:00 (summer time) or "
        + "2026-04-05T01:45+10:30 (standard time); give the offset")
    #expect(
      try Self.resolve("2026-04-05T01:45", in: "Australia/Lord_Howe", ambiguous: .earlier)
        == Self.instant("2026-04-04T14:45:00Z"))
    #expect(try Self.resolve("2026-04-05T01:29", in: "Australia/Lord_Howe") == Self.instant("2026-04-04T14:29:00Z"))
  }

  @Test("changes of standard time are told by the clocks, not by summer time")
  func standardTimeChanges() throws {
    // Moscow left permanent summer time (+04) for +03 on 26 October 2014 at 02:00.
    #expect(
      try Self.error("2014-10-26T01:30", in: "Europe/Moscow").description
        == "2014-10-26T01:30 happens twice in Europe/Moscow: 2014-10-26T01:30+04:00 (before the clocks went back) or "
        + "2014-10-26T01:30+03:00 (after the clocks went back); give the offset")
    // Samoa moved across the date line: 30 December 2011 never happened in Apia.
    #expect(
      try Self.error("2011-12-30T12:00", in: "Pacific/Apia").description
        == "2011-12-30T12:00 does not exist in Pacific/Apia (clocks went forward from 2011-12-30T00:00 to 2011-12-31T00:00)"
    )
  }

  @Test(
    "a written offset is that instant, whatever the zone and with or without seconds",
    arguments: [
      ("2026-10-25T02:30+02:00", "2026-10-25T00:30:00Z"), ("2026-10-25T02:30:00+02:00", "2026-10-25T00:30:00Z"),
      ("2026-10-25T02:30+01:00", "2026-10-25T01:30:00Z"), ("2026-10-25T02:30Z", "2026-10-25T02:30:00Z"),
      ("2026-10-25T02:30:00Z", "2026-10-25T02:30:00Z"), ("2026-10-25t02:30:00z", "2026-10-25T02:30:00Z"),
      ("2026-10-25 02:30 +0100", "2026-10-25T01:30:00Z"), ("2026-10-25T02:30+02", "2026-10-25T00:30:00Z"),
      ("2026-10-25T02:30 UTC", "2026-10-25T02:30:00Z"), ("2026-03-29T02:30+01:00", "2026-03-29T01:30:00Z"),
      ("2026-11-01T01:30-04:00", "2026-11-01T05:30:00Z"), ("2026-04-05T01:45+10:30", "2026-04-04T15:15:00Z"),
      ("2026-12-31T23:59:00-04:00", "2027-01-01T03:59:00Z"),
    ])
  func offsets(text: String, expected: String) throws {
    let written = try #require(WrittenTime.parse(text))
    #expect(written.offset != nil)
    for zone in ["Europe/Berlin", "America/New_York", "UTC"] {
      #expect(try Self.resolve(text, in: zone) == Self.instant(expected), "\(zone)")
    }
  }

  @Test("fractions of a second are kept")
  func fractions() throws {
    let date = try Self.resolve("2026-07-01T12:00:00.25+02:00", in: "UTC")
    #expect(abs(date.timeIntervalSince(Self.instant("2026-07-01T10:00:00Z")) - 0.25) < 1e-6)
    #expect(LocalDateTime(utcOf: date).description == "2026-07-01T10:00:00.25")
  }

  @Test(
    "a day or time of day that exists nowhere is invalid, not a clock change",
    arguments: ["2026-04-31T10:00", "2026-02-29", "2026-10-25T25:00", "2026-10-25T10:60", "2026-13-01", "2026-00-10"])
  func invalid(text: String) throws {
    for zone in ["Europe/Berlin", "UTC"] {
      let error = try Self.error(text, in: zone)
      #expect(error.problem == .invalid)
      #expect(error.description == "\(text) is not a real date and time (no such day, hour, minute or second)")
    }
    let withOffset = text.contains("T") ? text + "+02:00" : text + "T00:00+02:00"
    #expect(throws: LocalTimeError.self) { try Self.resolve(withOffset, in: "UTC") }
  }

  @Test("29 February exists in leap years")
  func leapDay() throws {
    #expect(try Self.resolve("2028-02-29T12:00", in: "UTC") == Self.instant("2028-02-29T12:00:00Z"))
    #expect(try Self.resolve("2000-02-29", in: "UTC") == Self.instant("2000-02-29T00:00:00Z"))
    #expect(throws: LocalTimeError.self) { try Self.resolve("1900-02-29", in: "UTC") }
  }

  @Test(
    "malformed text is not a written time",
    arguments: [
      "", "2026-10-25T2:30", "26-10-25", "2026-10-25T02", "2026-10-25T02:30+2", "2026-10-25T02:30+19:00",
      "2026-10-25T02:30+02:60", "2026/10/25 02:30", "2026-10-25T02:30:00.+02:00", " 2026-10-25", "2026-10-25x",
      "２０２６-10-25",
    ])
  func malformed(text: String) {
    #expect(WrittenTime.parse(text) == nil)
  }

  @Test("Have Your Say's slashes")
  func slashes() throws {
    let written = try #require(WrittenTime.parse("2021/10/31 02:30:00", separator: .slash))
    #expect(written == WrittenTime(local: LocalDateTime(year: 2021, month: 10, day: 31, hour: 2, minute: 30)))
    #expect(WrittenTime.parse("2021-10-31 02:30:00", separator: .slash) == nil)
  }

  @Test("the UTC wall clock of an instant maps back to it, before 1970 and far ahead")
  func utcRoundTrip() throws {
    for seconds in [-62_135_596_800.0, -2_208_988_800, -1, 0, 951_782_400, 1_792_891_800.5, 4_102_444_799] {
      let date = Date(timeIntervalSince1970: seconds)
      let local = LocalDateTime(utcOf: date)
      #expect(local.isValid)
      #expect(try LocalTimeResolver.utc.instant(local) == date, "\(local)")
    }
    #expect(LocalDateTime(utcOf: Date(timeIntervalSince1970: -1)).description == "1969-12-31T23:59:59")
    #expect(LocalDateTime(utcOf: Date(timeIntervalSince1970: 951_782_400)).description == "2000-02-29T00:00")
  }

  @Test("an unknown zone has no resolver")
  func unknownZone() {
    #expect(LocalTimeResolver(zoneIdentifier: "Mars/Olympus") == nil)
    #expect(LocalTimeResolver(zoneIdentifier: "Europe/Berlin")?.zoneIdentifier == "Europe/Berlin")
  }
}
