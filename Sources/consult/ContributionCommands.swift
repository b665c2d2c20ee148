import ArgumentParser
import ConsultCore
import ConsultExport
import ConsultImport
import ConsultStore
import Foundation

extension Contribution.Attribution: ExpressibleByArgument {}
extension SourceEncoding: ExpressibleByArgument {}

struct Contribute: WritingCommand {
  static let configuration = CommandConfiguration(
    abstract: "Record a contribution: an oral statement at a workshop (--workshop) or a written submission.",
    discussion: "The text comes from --text, --file FILE, or standard input (--file -).")
  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var acting: ActorOptions
  @OptionGroup var output: OutputOptions
  @Argument(help: "The consultation.") var consultation: String
  @Option(help: "Handle of the contributing stakeholder.") var stakeholder: String?
  @Option(help: "Workshop key: makes it an oral statement at that workshop.") var workshop: String?
  @Option(help: "Theme key.") var theme: String?
  @Option(help: "Language tag, e.g. en.") var language: String?
  @Option(
    help: ArgumentHelp(
      "The contributor's consent to be named: named, organisation, stakeholder-group or not-for-publication "
        + "(stored; an export applies the stricter of it and the workshop's rule).",
      valueName: "level"))
  var consent: Contribution.Attribution = .named
  /// The name `--consent` had before it was named for what it stores; still accepted.
  @Option(name: .customLong("attribution"), help: .hidden) var attribution: Contribution.Attribution?
  @Option(parsing: .unconditional, help: "The text.") var text: String?
  @Option(help: "Read the text from FILE (- for standard input).") var file: String?
  @Option(
    name: [.customLong("at"), .customLong("received-at")],
    help: ArgumentHelp(
      "When it was received: YYYY-MM-DD[THH:MM[:SS]] (UTC) or RFC 3339 with an offset; default now.",
      valueName: "time"))
  var receivedAt: String?
  func validate() throws {
    if text != nil && file != nil { throw ValidationError("give either --text or --file, not both") }
    if let attribution, attribution != consent, consent != .named {
      throw ValidationError("give --consent only (--attribution is its old name)")
    }
  }
  func execute(_ store: ConsultStore, actor: String) throws {
    if text == nil && file == nil && isatty(STDIN_FILENO) != 0 {
      throw InputError(message: "give the text with --text, or --file FILE (--file - reads standard input)")
    }
    // The text as given: from a file, only its last line's line break is left out.
    var body: String
    if let text {
      body = text
    } else {
      body = try readText(path: file ?? "-")
      if body.hasSuffix("\n") { body.removeLast() }
    }
    let field = text != nil ? "--text" : (file == nil || file == "-" ? "standard input" : file!)
    if body.contains("\u{0}") { throw InputError(message: "\(field) contains a NUL byte") }
    if let problem = ContributionText.sizeProblem(body) { throw InputError(message: "\(field): the text \(problem)") }
    let received = try receivedAt.map { try parseTime($0, zone: "UTC", field: "--at") }
    let c = try store.recordContribution(
      NewContribution(
        text: body, stakeholder: stakeholder, workshop: workshop, theme: theme, language: language,
        attribution: attribution ?? consent, receivedAt: received), in: consultation, actor: actor)
    // A Chatham House statement naming someone the rule protects is flagged (Disclosure.swift).
    if let workshop,
      try store.disclosureReview(of: consultation, workshop: workshop).contains(where: { $0.contributionID == c.id })
    {
      printError(
        "consult: flagged: contribution #\(c.id) names a participant, an invitee's organisation or a host of a "
          + "Chatham House workshop; its summary cannot be published until it is redacted or cleared "
          + "(`consult contributions clear`)")
    }
    if output.json { return try printJSON(c) }
    say("Recorded contribution #\(c.id) (\(c.kind.rawValue)\(c.theme.map { ", theme \($0)" } ?? ""))")
  }
}

struct ContributionsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "contributions", abstract: "Import and list contributions.",
    subcommands: [
      Import.self, ListContributions.self, AdvanceContributions.self, Campaigns.self, Search.self, Tag.self,
      Redact.self, Redactions.self, Flagged.self, Clear.self,
    ])

  enum Format: String, ExpressibleByArgument, CaseIterable {
    case regulationsGov = "regulations-gov"
    case polis
    case decidim
    case haveYourSay = "have-your-say"
    case csv
  }

  struct Import: WritingCommand {
    static let configuration = CommandConfiguration(
      abstract: "Import written submissions from a file (all or nothing; re-running adds nothing).",
      discussion: """
        regulations-gov: FILE is a docket export CSV or a directory holding it and its \
        text-comments CSV (header `Document ID,Text Comment`), joined on Document ID.
        polis: FILE is a Polis open-data comments.csv or the directory holding it; comments \
        rejected by moderation (moderated = -1) are kept but never published.
        decidim: FILE is a Decidim open-data comments CSV (`;`-separated; columns id, \
        created_at, body, locale, author/id, author/name, …, user_group/name, …, \
        root_commentable_url). A body that \
        is a JSON object of locale → text gives the row's locale's text, else the first.
        have-your-say: FILE is EU Have Your Say feedback JSON, an array of records or \
        {"feedback": [...]}; dateFeedback is Brussels local time, stored as UTC (a repeated \
        autumn hour is the earlier, summer-time instant, as the format documents).
        csv: FILE is any CSV; --mapping FILE names its columns in YAML:
          id: Reference            # required: unique row id
          text: Comment            # required: the text
          author: Name             # optional display name (never merged by name)
          author-id: Respondent    # optional stable author key: same key, same person
          organisation: Organisation
          date: Submitted          # optional; ISO 8601 unless date-format is given
          date-format: dd.MM.yyyy HH:mm   # optional Unicode date pattern
          time-zone: Europe/Berlin # optional zone of times without offset (UTC)
          language: Language       # optional column of language tags
          delimiter: ";"           # optional, one ASCII character (default ",")
        A local time a clock change skips or repeats in time-zone is an invalid record (write \
        its offset, e.g. 2026-10-25T02:30+01:00).

        Bad input (broken quoting, invalid UTF-8, NUL bytes, empty text, a field over \
        1,000,000 bytes, an unparseable date, …) is reported with file, line and column, and \
        nothing is imported. With --skip-invalid --rejects FILE (every format), invalid records are written to FILE as CSV (file,line,column,reason) and the rest \
        is imported; file-level errors (no header, a missing column, broken quoting, invalid \
        UTF-8, broken JSON structure) still refuse the whole file. --encoding windows-1252 reads \
        Windows-1252 files.

        --resume commits in batches of --batch-size records (default 10,000), each recorded in \
        the database: a run that was killed or stopped at a malformed record continues after the \
        last committed record (the earlier batches stay committed; a file changed before that \
        record is refused). Without --resume the import is one transaction. Running a finished \
        --resume import again, on a file of the same size and modification time, reads nothing.

        Records and persons are matched within the import's source: the format for \
        regulations-gov and have-your-say (their ids are unique system-wide), the conversation \
        for polis, the file's name for csv and decidim (row "1" of one file is not row "1" of \
        another). --source NAME names the system instead, for files exported from one system \
        with stable ids. People are never merged across consultations or sources, nor by name.

        Re-importing reports new, unchanged and changed records. A changed record (same id, \
        other text) is listed and left as it was; --update-changed records its new text as a \
        revision (logged; the previous text is kept). A record whose text consult changed (an \
        erasure or a redaction) is no changed record: it is kept as it is, also with \
        --update-changed. The records of a person or organisation erased earlier are not \
        imported again (counted as skipped; not written to --rejects).

        On a terminal, a progress line on standard error shows rows read, rows per second and \
        the estimated time left to read the file (from the share of its bytes read so far); \
        then, without --resume, that the database is writing what was read.
        """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The file or directory to import.") var file: String
    @Option(help: "The file's format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).") var format: Format
    @Option(help: "regulations-gov: the text-comments CSV, when not beside the docket file.") var texts: String?
    @Option(
      help:
        "Language tag of the texts, e.g. de, for records without their own (default: en for regulations-gov, else unknown)."
    )
    var language: String?
    @Option(help: "csv: the YAML file naming the columns (see below).") var mapping: String?
    @Option(help: "The file's encoding: utf-8 or windows-1252.")
    var encoding: SourceEncoding = .utf8
    @Flag(help: "Import the valid records and write the invalid ones to --rejects FILE.") var skipInvalid = false
    @Option(help: "With --skip-invalid: the CSV file to write rejected records to (line, column, reason).")
    var rejects: String?
    @Flag(help: "Commit in recorded batches; continue an interrupted import of the same file where it stopped.")
    var resume = false
    @Option(help: "With --resume: records per batch (one transaction each).")
    var batchSize: Int?
    @Option(
      help: ArgumentHelp(
        "The system the file comes from, when records and authors keep their ids across its files.",
        valueName: "name"))
    var source: String?
    @Flag(help: "Record the new text of records imported before whose text changed (a logged revision).")
    var updateChanged = false
    @OptionGroup var when: RecordedTime
    func validate() throws {
      if batchSize != nil && !resume { throw ValidationError("--batch-size goes with --resume") }
      if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
      if (format == .csv) != (mapping != nil) {
        throw ValidationError(
          format == .csv ? "--format csv needs --mapping FILE" : "--mapping is only for --format csv")
      }
      if skipInvalid != (rejects != nil) { throw ValidationError("--skip-invalid and --rejects FILE go together") }
      if let source,
        source.isEmpty || source.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
      {
        throw ValidationError("--source: give a name without control characters")
      }
    }
    func execute(_ store: ConsultStore, actor: String) throws {
      let url = URL(fileURLWithPath: file)
      let source: any SubmissionSource
      switch format {
      case .regulationsGov:
        var located = try RegulationsGovSource.locate(url, texts: texts.map { URL(fileURLWithPath: $0) })
        located.encoding = encoding
        source = located
      case .polis:
        source = PolisSource(url, encoding: encoding)
      case .decidim:
        source = DecidimSource(url, encoding: encoding)
      case .haveYourSay:
        source = HaveYourSaySource(url, encoding: encoding)
      case .csv:
        let columns = try CSVMapping.load(URL(fileURLWithPath: mapping ?? ""))
        source = MappedCSVSource(url, mapping: columns, encoding: encoding)
      }
      let rejectsFile = try rejects.map { path throws(ImportError) in try RejectsFile(url: URL(fileURLWithPath: path)) }
      let progressLine = ImportProgressLine.forTerminal()
      defer { progressLine?.clear() }
      let report: ImportReport
      do {
        report = try store.importSubmissions(
          source, into: consultation, language: language, actor: actor, sourceName: self.source,
          updateChanged: updateChanged, at: try when.time(), invalid: rejectsFile.map { file in file.write },
          resume: resume ? ImportBatching(batchSize: batchSize ?? ImportBatching.defaultBatchSize) : nil,
          progress: progressLine.map { line in line.update })
      } catch let error as PartialImportError {
        // Batches were committed: their rejected records are listed.
        try rejectsFile?.close()
        throw error
      } catch {
        // Nothing was imported: no rejects file either (an earlier one stays as it was).
        rejectsFile?.discard()
        throw error
      }
      try rejectsFile?.close()
      if output.json { return try printJSON(report) }
      if report.finishedEarlier, let id = report.importID {
        say(
          "Import #\(id) of \(source.mainFile.lastPathComponent) is finished (\(counted(report.committedEarlier, "record")) "
            + "committed); the file has the same size and modification time, so it was not read again. "
            + "To compare it record by record, run the import without --resume.")
        return
      }
      let total = report.rowsRead + report.invalid
      if total == 0 {
        say(
          "\(source.mainFile.lastPathComponent): no records (the file has no rows after its header); nothing imported")
        return
      }
      say("Read \(counted(total, "record")) from \(source.mainFile.lastPathComponent)")
      if let id = report.importID {
        say(
          "  import #\(id): \(counted(report.batches, "batch", plural: "batches")) committed now"
            + (report.committedEarlier > 0
              ? "; continued after \(counted(report.committedEarlier, "record")) committed by an earlier run" : ""))
      }
      if let rejectsFile {
        say("  rejected \(counted(report.invalid, "invalid record")) (written to \(rejectsFile.url.path))")
      }
      if !report.skipped.isEmpty {
        say(
          "  skipped \(grouped(report.skipped.count)) (not a public submission or no text): \(terminalLine(report.skipped.joined(separator: ", ")))"
        )
      }
      say(
        "  \(counted(report.added, "new written submission")), \(grouped(report.unchanged)) unchanged, "
          + "\(grouped(report.changed.count)) changed"
          + (report.added > 0
            ? "; new stakeholders: \(counted(report.organisationsAdded, "organisation")), "
              + "\(counted(report.personsAdded, "person"))" : ""))
      if report.skippedErased > 0 {
        say(
          "  skipped \(counted(report.skippedErased, "record")) of persons erased earlier (or of organisations "
            + "erased earlier; not imported again, their records imported before stay as they are)")
      }
      if report.keptErasedOrRedacted > 0 {
        say(
          "  \(grouped(report.keptErasedOrRedacted)) kept as erased or redacted (consult changed their texts; "
            + "the source's texts are not taken over)")
      }
      if report.rejectedByModeration > 0 {
        say(
          "  \(grouped(report.rejectedByModeration)) rejected by the source's moderation: kept, counted, never published"
        )
      }
      if !report.changed.isEmpty {
        let ids =
          terminalLine(report.changed.prefix(20).joined(separator: ", ")) + (report.changed.count > 20 ? ", …" : "")
        say(
          report.updated
            ? "  changed texts recorded as new revisions (the previous text kept): \(ids)"
            : "  changed at the source, left as they were (--update-changed records the new texts): \(ids)")
      }
    }
  }

  struct ListContributions: StoreCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List a consultation's contributions.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "At most N.") var limit: Int?
    func execute(_ store: ConsultStore) throws {
      let all = try store.contributions(in: consultation, limit: limit)
      if output.json { return try printJSON(all) }
      for c in all {
        let firstLine = c.text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        say(
          "#\(c.id)\t\(c.kind.rawValue)\t\(c.theme ?? "-")\t\(c.state)\t\(terminalLine(String(firstLine.prefix(70))))")
      }
    }
  }
}

struct SummaryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "summary",
    abstract: "Write and approve a workshop's proceedings summary, or the consultation's own summary.",
    discussion: """
      Without a workshop key, the commands act on the consultation's own summary: for a docket of \
      written comments, the report on the comments (the name its workflow gives the document). \
      Cite contributions as [#12] or [#12, #15]; exports number them as sources.
      """,
    subcommands: [Draft.self, Edit.self, AdvanceSummary.self, ShowSummary.self])

  struct Draft: WritingCommand {
    static let configuration = CommandConfiguration(
      abstract: "Start the proceedings summary of a workshop, or the consultation's own summary.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The workshop key; omit it for the consultation's own summary.") var workshop: String?
    @Option(help: "Title.") var title: String
    @Option(parsing: .unconditional, help: "The text (Markdown).") var text: String?
    @Option(help: "Read the text from FILE (- for standard input).") var file: String?
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      let body = try text ?? file.map(readText) ?? ""
      let s = try store.draftSummary(
        for: workshop, in: consultation, title: title, body: body, actor: actor, at: try when.time())
      if output.json { return try printJSON(s) }
      say("Started the summary of \(workshop ?? "the consultation") (\(s.state), revision \(s.revision))")
    }
  }

  struct Edit: WritingCommand {
    static let configuration = CommandConfiguration(
      abstract: "Replace the summary's text (only while drafting); the previous revision is kept.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The workshop key; omit it for the consultation's own summary.") var workshop: String?
    @Option(help: "New title.") var title: String?
    @Option(parsing: .unconditional, help: "The text (Markdown).") var text: String?
    @Option(help: "Read the text from FILE (- for standard input).") var file: String?
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      let body = try text ?? readText(path: file ?? "-")
      let s = try store.editSummary(
        for: workshop, in: consultation, title: title, body: body, actor: actor, at: try when.time())
      if output.json { return try printJSON(s) }
      say("Saved revision \(s.revision) of the summary of \(workshop ?? "the consultation")")
    }
  }

  struct AdvanceSummary: WritingCommand {
    static let configuration = CommandConfiguration(
      commandName: "advance", abstract: "Fire a summary event (submit-for-review, approve, request-changes, publish).")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(
      help: ArgumentHelp(
        "[WORKSHOP] EVENT: the workshop key (omit it for the consultation's own summary) and the event.",
        valueName: "workshop-and-event"))
    var workshopAndEvent: [String]
    @Option(help: "A note recorded in the event log (default: the revision).") var reason: String?
    var workshop: String? { workshopAndEvent.count == 2 ? workshopAndEvent[0] : nil }
    var event: String { workshopAndEvent.last ?? "" }
    func validate() throws {
      guard (1...2).contains(workshopAndEvent.count) else {
        throw ValidationError("give the event, after the workshop key for a workshop's summary")
      }
    }
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      let time = try when.time()
      let record = try store.advanceSummary(
        for: workshop, in: consultation, event: event, actor: actor, reason: reason, at: time)
      try printTransition(record, label: "summary of \(workshop ?? "the consultation")", json: output.json)
    }
  }

  struct ShowSummary: StoreCommand {
    static let configuration = CommandConfiguration(
      commandName: "show", abstract: "Print a workshop's proceedings summary.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The workshop key; omit it for the consultation's own summary.") var workshop: String?
    func execute(_ store: ConsultStore) throws {
      let s = try store.summary(for: workshop, in: consultation)
      if output.json { return try printJSON(s) }
      say("\(terminalLine(s.title)) — revision \(s.revision), \(s.state)\n\n\(s.body)")
    }
  }
}

extension ContributionsCommand {
  /// `consult contributions advance CONSULTATION EVENT (--id N … | --all)`.
  struct AdvanceContributions: WritingCommand {
    static let configuration = CommandConfiguration(
      commandName: "advance",
      abstract: "Fire a contribution event (accept, reject, note… as the workflow declares) on contributions.",
      discussion: """
        Each contribution gets its own event in the log; all or nothing (one transaction). --id picks \
        contributions (repeatable; ids as `consult contributions list` shows them); --all picks every \
        contribution whose state has the event, e.g. after the comment period of a notice-and-comment \
        consultation: consult contributions advance usda-2017-0002 accept --all
        """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The event, e.g. accept.") var event: String
    @Option(name: .customLong("id"), help: "A contribution's id; repeat for several.") var ids: [Int64] = []
    @Flag(help: "Every contribution whose state has the event.") var all = false
    @Option(help: "A note recorded in the event log.") var reason: String?
    @OptionGroup var when: RecordedTime
    func validate() throws {
      if all == !ids.isEmpty { throw ValidationError("give --id N (repeatable) or --all") }
    }
    func execute(_ store: ConsultStore, actor: String) throws {
      let records = try store.advanceContributions(
        event, in: consultation, ids: all ? nil : ids, actor: actor, reason: reason, at: try when.time())
      if output.json { return try printJSON(records) }
      say("\(event): \(counted(records.count, "contribution")) moved")
    }
  }
}
