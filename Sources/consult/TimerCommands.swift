import ArgumentParser
import ConsultStore
import Foundation

/// `consult tick [--now TIME] [--json]`: fires every due workflow timer once.
struct Tick: StoreCommand {
  static let configuration = CommandConfiguration(
    abstract: "Fire every due workflow timer (after: DURATION, at: FIELD) once; safe from cron.",
    discussion: """
      Each timer fires in its own transaction as actor 'timer', recorded as occurring at the tick's \
      time (--now, default the system clock). Two ticks at once fire each timer once; a tick killed \
      midway leaves nothing half-done and the next one completes the work. A due timer whose guard \
      fails is listed as blocked and tried again by the next tick.
      Example (cron, every five minutes): */5 * * * * consult tick >> /var/log/consult-tick.log 2>&1
      """)
  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var output: OutputOptions
  @Option(help: "The time to tick at (YYYY-MM-DD[THH:MM] UTC, or RFC 3339), for tests and rehearsals; default now.")
  var now: String?

  func execute(_ store: ConsultStore) throws {
    let time = try now.map { try parseTime($0, zone: "UTC", field: "--now") } ?? Date()
    let report = try store.tick(now: time)
    if output.json { return try printJSON(report) }
    let formatter = ISO8601DateFormatter()
    if report.timers.isEmpty {
      say("\(formatter.string(from: time)): no timer due")
      return
    }
    for firing in report.timers {
      let due = firing.due
      let subject =
        due.entityKind == "consultation"
        ? "consultation \(due.consultation)" : "\(due.consultation): \(due.entityKind) \(due.label)"
      let timer = "\(due.timer), due \(formatter.string(from: due.dueAt))"
      switch firing.outcome {
      case .fired:
        let to = firing.record?.toState ?? "?"
        say("fired    \(subject): \(due.state) → \(to) (\(due.event); \(timer))")
      case .blocked:
        say("blocked  \(subject): \(due.event) (\(timer)): \(terminalLine(firing.reason ?? ""))")
      case .skipped:
        say("skipped  \(subject): \(due.event) (\(timer)): another tick or writer got there first")
      }
    }
    let blocked = report.timers.count - report.fired.count
    say(
      "\(formatter.string(from: time)): \(grouped(report.fired.count)) fired\(blocked > 0 ? ", \(grouped(blocked)) not fired" : "")"
    )
  }
}

/// `consult deadline set|clear`: a consultation's deadline, read by timers `at: consultation.deadline`.
struct DeadlineCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "deadline", abstract: "Set or clear a consultation's deadline (read by timers).",
    subcommands: [Set.self, Clear.self])

  /// `consult deadline set CONSULTATION TIME`.
  struct Set: WritingCommand {
    static let configuration = CommandConfiguration(
      abstract: "Set (or move) a consultation's deadline.",
      discussion: """
        Example: consult deadline set usda-2017-0002 2017-07-17T23:59:00-04:00, or \
        consult deadline set usda-2017-0002 2017-07-17T23:59 --time-zone America/New_York. \
        A local time the clocks skip or show twice in the zone is refused; give the offset.
        """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The deadline: YYYY-MM-DD[THH:MM] in --time-zone, or RFC 3339 with an offset.") var time: String
    @Option(help: "IANA time zone of a deadline written without an offset.") var timeZone = "UTC"
    @OptionGroup var when: RecordedTime

    func execute(_ store: ConsultStore, actor: String) throws {
      try knownTimeZone(timeZone)
      let deadline = try parseTime(time, zone: timeZone, field: "deadline")
      let updated = try store.setDeadline(of: consultation, to: deadline, actor: actor, at: try when.time())
      if output.json { return try printJSON(updated) }
      say("\(updated.slug): deadline \(ISO8601DateFormatter().string(from: deadline))")
    }
  }

  /// `consult deadline clear CONSULTATION`.
  struct Clear: WritingCommand {
    static let configuration = CommandConfiguration(abstract: "Remove a consultation's deadline.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @OptionGroup var when: RecordedTime

    func execute(_ store: ConsultStore, actor: String) throws {
      let updated = try store.setDeadline(of: consultation, to: nil, actor: actor, at: try when.time())
      if output.json { return try printJSON(updated) }
      say("\(updated.slug): no deadline")
    }
  }
}
