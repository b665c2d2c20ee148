import ArgumentParser
import ConsultCore
import ConsultStore
import Foundation

struct Open: WritingCommand {
  static let configuration = CommandConfiguration(
    abstract: "Open a consultation on a workflow.",
    discussion:
      "Example: consult open white-paper-2016 --title \"White Paper 2016\" --workflow white-paper --theme challenges=\"Challenges for security policy\""
  )
  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var acting: ActorOptions
  @OptionGroup var output: OutputOptions
  @Argument(help: "Short name for the consultation, e.g. white-paper-2016.") var slug: String
  @Option(help: "Title.") var title: String
  @Option(help: "A shipped workflow's name (e.g. white-paper) or a workflow YAML file.") var workflow = "white-paper"
  @Option(help: "Owning institution.") var owner: String?
  @Option(help: "A theme as KEY=TITLE; repeat for several.") var theme: [String] = []
  @Option(
    name: [.customLong("at"), .customLong("opened-at")],
    help: ArgumentHelp(
      "When it was opened: YYYY-MM-DD[THH:MM[:SS]] in --time-zone, or RFC 3339 with an offset; default now.",
      valueName: "time"))
  var openedAt: String?
  @Option(help: "Deadline for timers `at: consultation.deadline` (YYYY-MM-DD[THH:MM] in --time-zone, or RFC 3339).")
  var deadline: String?
  @Option(help: "IANA time zone of --at and --deadline written without an offset.")
  var timeZone = "UTC"

  func validate() throws {
    for item in theme where !item.contains("=") {
      throw ValidationError("--theme '\(item)': use KEY=TITLE, e.g. --theme instruments=\"Instruments and alliances\"")
    }
  }

  func execute(_ store: ConsultStore, actor: String) throws {
    let definition = try store.resolveWorkflow(workflow)
    let themes = theme.map { item -> Theme in
      let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
      return Theme(key: parts[0], title: parts.count > 1 ? parts[1] : parts[0])
    }
    try knownTimeZone(timeZone)
    let opened = try openedAt.map { try parseTime($0, zone: timeZone, field: "--at") }
    let due = try deadline.map { try parseTime($0, zone: timeZone, field: "--deadline") }
    let consultation = try store.openConsultation(
      slug: slug, title: title, owner: owner, workflow: definition, themes: themes, openedAt: opened, deadline: due,
      actor: actor)
    if output.json { return try printJSON(consultation) }
    say(
      "Opened \(consultation.slug) on workflow \(consultation.workflowName)@\(consultation.workflowVersion); phase: \(consultation.state)"
    )
  }
}

struct List: StoreCommand {
  static let configuration = CommandConfiguration(abstract: "List consultations.")
  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var output: OutputOptions
  func execute(_ store: ConsultStore) throws {
    let all = try store.consultations()
    if output.json { return try printJSON(all) }
    if all.isEmpty { say("No consultations yet; open one with `consult open`.") }
    for c in all { say("\(c.slug)\t\(c.state)\t\(terminalLine(c.title))") }
  }
}

struct Advance: WritingCommand {
  static let configuration = CommandConfiguration(
    abstract: "Fire an event on a consultation (advance its phase).",
    discussion: "`consult show CONSULTATION` lists the events possible now and what blocks the others.")
  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var acting: ActorOptions
  @OptionGroup var output: OutputOptions
  @Argument(help: "The consultation.") var consultation: String
  @Argument(help: "The event, e.g. open-participation.") var event: String
  @Option(help: "A note recorded in the event log.") var reason: String?
  @OptionGroup var when: RecordedTime
  func execute(_ store: ConsultStore, actor: String) throws {
    let time = try when.time()
    let record = try store.advanceConsultation(consultation, event: event, actor: actor, reason: reason, at: time)
    try printTransition(record, label: "consultation \(consultation)", json: output.json)
  }
}

/// Prints a transition in the human or JSON form.
func printTransition(_ record: TransitionRecord, label: String? = nil, json: Bool) throws {
  if json { return try printJSON(record) }
  say(
    "\(label ?? "\(record.entityKind) #\(record.entityID)"): \(record.fromState ?? "—") → \(record.toState) (\(record.event))"
  )
}

struct Show: StoreCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show a consultation: phase, counts, and every event with what blocks it.",
    discussion: """
      For the consultation, each workshop and each proceedings summary: ✓ the event is possible now; \
      ✗ a guard blocks it (with the values observed); · it needs another state.
      """)
  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var output: OutputOptions
  @Argument(help: "The consultation.") var consultation: String
  func execute(_ store: ConsultStore) throws {
    let overview = try store.overview(of: consultation)
    if output.json { return try printJSON(overview) }
    let c = overview.consultation
    say(terminalLine(c.title))
    say("  consultation: \(c.slug)   phase: \(c.state)   workflow: \(c.workflowName)@\(c.workflowVersion)")
    if let owner = c.owner { say("  owner: \(terminalLine(owner))") }
    say("")
    say("Counts")
    for name in ["workshops", "invitations", "contributions", "proceedings_summaries"] {
      let byState = overview.counts[name] ?? [:]
      let total = byState.values.reduce(0, +)
      let detail = byState.sorted { $0.key < $1.key }.map { "\($0.key) \(grouped($0.value))" }
        .joined(separator: ", ")
      say(
        "  \(name.replacingOccurrences(of: "_", with: " ")): \(grouped(total))\(detail.isEmpty ? "" : " (\(detail))")")
    }
    for entity in overview.entities {
      say("")
      say(
        // Contributions are shown in groups ("199 written submissions"), other entities one by one.
        (entity.kind == "contribution"
          ? "contributions: \(terminalLine(entity.label))" : "\(entity.kind) \(terminalLine(entity.label))")
          + ": \(entity.state)\(entity.isFinal ? " (final: nothing more can happen)" : "")")
      for option in entity.events where !entity.isFinal {
        if option.possible {
          say("  ✓ \(option.event) → \(option.target ?? "?")")
        } else if let states = option.needsState {
          say("  · \(option.event): only from \(states.joined(separator: ", "))")
        } else {
          say("  ✗ \(option.event): \(terminalLine((option.blockedBy ?? []).joined(separator: "; ")))")
        }
      }
    }
  }
}

/// `consult log`: the event log; `consult log CONSULTATION` prints it (the default subcommand),
/// `consult log check` replays it.
struct Log: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print a consultation's event log (`consult log CONSULTATION`), or check it (`consult log check`).",
    subcommands: [LogShow.self, LogCheck.self, LogVerify.self, LogDigest.self], defaultSubcommand: LogShow.self)
}

struct LogShow: StoreCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "Print a consultation's event log, oldest first (the default).")
  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var output: OutputOptions
  @Argument(help: "The consultation.") var consultation: String
  @Option(help: "Only the newest N entries.") var limit: Int?
  @Option(
    help: "Only this entity kind (consultation, workshop, invitation, contribution, proceedings-summary); repeatable.")
  var kind: [String] = []
  func validate() throws {
    for k in kind where EntityKind(rawValue: k) == nil {
      let kinds = EntityKind.allCases.map(\.rawValue)
      throw ValidationError(
        "--kind \(k)\(Phrasing.didYouMean(k, among: kinds)): use one of \(kinds.joined(separator: ", "))")
    }
  }
  func execute(_ store: ConsultStore) throws {
    let entries = try store.eventLog(of: consultation, kinds: kind.compactMap(EntityKind.init(rawValue:)), limit: limit)
    if output.json { return try printJSON(entries) }
    let formatter = ISO8601DateFormatter()
    for e in entries {
      let reason = e.reason.map { "  — \(terminalLine($0))" } ?? ""
      say(
        "\(formatter.string(from: e.occurredAt))  \(terminalLine(e.entity))  \(e.event): \(e.fromState ?? "—") → \(e.toState)  by \(terminalLine(e.actor))\(reason)"
      )
    }
  }
}

struct ThemeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "theme", abstract: "Manage a consultation's themes.", subcommands: [Add.self, ListThemes.self])
  struct Add: WritingCommand {
    static let configuration = CommandConfiguration(
      abstract: "Add a theme (guiding question).",
      discussion: "Example: consult theme add white-paper-2016 instruments --title \"Instruments and alliances\"")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "Theme key, e.g. instruments.") var key: String
    @Option(help: "Title (the guiding question).") var title: String
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      let theme = Theme(key: key, title: title)
      try store.addTheme(theme, to: consultation, actor: actor, at: try when.time())
      if output.json { return try printJSON(theme) }
      say("Added theme \(key) to \(consultation)")
    }
  }
  struct ListThemes: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the themes.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    func execute(_ store: ConsultStore) throws {
      let themes = try store.themes(of: try store.consultation(consultation).id)
      if output.json { return try printJSON(themes) }
      for t in themes { say("\(t.key)\t\(terminalLine(t.title))") }
    }
  }
}
