/// A duration as written in a timer's `after:` (ISO 8601 §4.4.3.2, the format with designators):
/// `P14D`, `PT48H`, `P1Y2M`, `P2W`, `P1DT12H`.
///
/// Every component is a whole number ≥ 0; at least one is given; the designators come in the
/// order Y, M, W, D, then `T` and H, M, S, each at most once. Fractions, signs and the
/// alternative format (`P0001-02-03`) are not accepted. How a duration is added to a time is
/// the store's business (``TimerDueRule``): years, months, weeks and days are calendar units
/// counted in UTC (a day is always 24 hours), hours, minutes and seconds are exact.
public struct ISODuration: Sendable, Hashable, CustomStringConvertible {
  /// Years (`nY`).
  public let years: Int
  /// Months (`nM` before `T`).
  public let months: Int
  /// Weeks (`nW`).
  public let weeks: Int
  /// Days (`nD`).
  public let days: Int
  /// Hours (`nH`).
  public let hours: Int
  /// Minutes (`nM` after `T`).
  public let minutes: Int
  /// Seconds (`nS`).
  public let seconds: Int
  /// The text as written in the file.
  public let text: String

  /// Parses an ISO 8601 duration with designators.
  ///
  /// - Parameter text: For example `P21D` or `PT48H`.
  /// - Returns: The duration, or `nil` when `text` is malformed (see the type's rules), or a
  ///   component exceeds 1,000,000 (no timer waits that long).
  public init?(_ text: String) {
    var scalars = Array(text.unicodeScalars)[...]
    guard scalars.first == "P" else { return nil }
    scalars = scalars.dropFirst()
    var values: [Character: Int] = [:]
    var timeValues: [Character: Int] = [:]
    var inTime = false
    var order = 0
    let dateOrder: [Character] = ["Y", "M", "W", "D"]
    let timeOrder: [Character] = ["H", "M", "S"]
    var sawTime = false
    while !scalars.isEmpty {
      if scalars.first == "T" {
        guard !inTime else { return nil }
        inTime = true
        sawTime = true
        order = 0
        scalars = scalars.dropFirst()
        continue
      }
      let digits = scalars.prefix { ("0"..."9").contains($0) }
      guard !digits.isEmpty, digits.count <= 7 else { return nil }
      scalars = scalars.dropFirst(digits.count)
      guard let designatorScalar = scalars.first else { return nil }
      scalars = scalars.dropFirst()
      let designator = Character(designatorScalar)
      let allowed = inTime ? timeOrder : dateOrder
      guard let index = allowed.firstIndex(of: designator), index >= order else { return nil }
      order = index + 1
      let value = Int(String(String.UnicodeScalarView(digits)))!
      guard value <= 1_000_000 else { return nil }
      if inTime { timeValues[designator] = value } else { values[designator] = value }
    }
    guard !values.isEmpty || !timeValues.isEmpty else { return nil }
    if sawTime, timeValues.isEmpty { return nil }
    years = values["Y"] ?? 0
    months = values["M"] ?? 0
    weeks = values["W"] ?? 0
    days = values["D"] ?? 0
    hours = timeValues["H"] ?? 0
    minutes = timeValues["M"] ?? 0
    seconds = timeValues["S"] ?? 0
    self.text = text
  }

  /// The text as written, e.g. `P21D`.
  public var description: String { text }
}

/// A date an entity or its consultation has, readable by a timer's `at:`.
///
/// Which fields each machine may read is fixed by ``fields(for:)``; a field of an absent parent
/// (an invitation to the consultation as a whole has no workshop) or an unset one (no deadline)
/// makes the timer never due.
public enum DateField: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// The consultation's deadline (`consult open --deadline`, `consult deadline set`); may be unset.
  case consultationDeadline = "consultation.deadline"
  /// When the consultation was opened.
  case consultationOpened = "consultation.opened"
  /// When the (entity's) workshop starts.
  case workshopStarts = "workshop.starts"
  /// When the (entity's) workshop ends.
  case workshopEnds = "workshop.ends"

  /// The fields a timer of `kind`'s machine may read: every machine reads its consultation's;
  /// the workshop, invitation, contribution and proceedings-summary machines also read their
  /// workshop's (the workshop itself for the workshop machine).
  ///
  /// - Parameter kind: The machine's entity kind.
  /// - Returns: The fields, in declaration order.
  public static func fields(for kind: EntityKind) -> [DateField] {
    switch kind {
    case .consultation, .draft, .comment: [.consultationDeadline, .consultationOpened]
    case .workshop, .invitation, .contribution, .proceedingsSummary: allCases
    }
  }

  /// The spelling in workflow files, e.g. `consultation.deadline`.
  public var description: String { rawValue }
}

/// When a timed transition becomes due: a duration after the entity entered the transition's
/// `from` state, or a date field.
public enum TimerDueRule: Sendable, Hashable, CustomStringConvertible {
  /// `after: DURATION`: due this long after the entity's last event (the one that put it in
  /// its current state), with calendar units added in UTC.
  case after(ISODuration)
  /// `at: FIELD`: due at the field's time; never due while the field is unset.
  case at(DateField)

  /// `after P21D` or `at consultation.deadline`, as in messages and the event log.
  public var description: String {
    switch self {
    case .after(let duration): "after \(duration)"
    case .at(let field): "at \(field)"
    }
  }
}
