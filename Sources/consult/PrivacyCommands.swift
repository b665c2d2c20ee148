import ArgumentParser
import ConsultStore
import EmbeddedPostgres
import Foundation
import Postgres

extension RedactionReason: ExpressibleByArgument {}

extension StakeholderCommand {
  /// `consult stakeholder forget STAKEHOLDER --reason TEXT`: the right to erasure (GDPR Art. 17).
  struct Forget: WritingCommand {
    /// Erasure rewrites the record: an administrator's task (migration 0020).
    static let databaseRole = DatabaseRole.admin
    static let configuration = CommandConfiguration(
      abstract: "Erase a person: a pseudonym replaces their name, their identifying strings leave every text.",
      discussion: """
        Acts as consult_admin. The stakeholder's name becomes a stable pseudonym ("Participant 17"); e-mail, \
        role, handle and source key are dropped; contributions stay as the consent allows (named ones are \
        attributed to the stakeholder group, withheld ones stay withheld); the name, e-mail address, the \
        --erase-actor records' names, every --also string, and handles that are no plain word (jane-doe, not \
        glenn: give such a one with --also) are replaced by the pseudonym in \
        contribution texts and their earlier revisions, summaries and their revisions, event reasons and data; \
        each rewrite is logged so that `consult log verify` still passes. The touched tables are then \
        vacuumed when the login role may. What stays outside consult's reach (WAL, backups, copies already \
        exported) is listed in the README.
        Example: consult stakeholder forget jane-doe --reason "erasure request 2026-11-30" --also "J. Doe"
        """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The stakeholder's handle, or #ID for an imported one.") var stakeholder: String
    @Option(help: "Why (recorded with the erasure events; the person's strings are redacted from it).")
    var reason: String
    @Option(help: ArgumentHelp("Another string that identifies the person; repeatable.", valueName: "text"))
    var also: [String] = []
    @Option(
      name: .customLong("erase-actor"),
      help: ArgumentHelp(
        "The person's own actor record (its handle), erased too; repeatable. An actor with the stakeholder's handle "
          + "is erased anyway.", valueName: "handle"))
    var eraseActors: [String] = []

    func execute(_ store: ConsultStore, actor: String) throws {
      var report = try store.forgetStakeholder(
        stakeholder, reason: reason, actor: actor, alsoIdentifying: also, actorHandles: eraseActors)
      report.vacuumed = vacuumAfterErasure(store, options: connection)
      if output.json { return try printJSON(report) }
      say("Forgot \(stakeholder): now \(report.pseudonym)")
      say(
        "  rewritten: \(counted(report.contributions, "contribution")), \(counted(report.summaries, "summary", plural: "summaries")), "
          + "\(counted(report.draftRevisions, "draft revision")), \(counted(report.comments, "draft comment")), "
          + "\(counted(report.events, "event")); \(counted(report.actors, "actor record")) erased")
      if report.vacuumed != true {
        printError(
          "consult: the rewritten rows' old versions stay in the data files until VACUUM; this login role may not "
            + "vacuum: run as the schema's owner: VACUUM " + ConsultStore.erasureTables.joined(separator: ", "))
      }
    }
  }
}

/// Vacuums the tables an erasure touched: with the session's login role when it may, else, on the
/// embedded cluster, with its superuser.
///
/// - Returns: Whether the tables were vacuumed.
func vacuumAfterErasure(_ store: ConsultStore, options: ConnectionOptions) -> Bool {
  if (try? store.vacuumAfterErasure()) == true { return true }
  guard !options.serverConfigured else { return false }
  guard let owner = try? connectToEmbedded(EmbeddedCluster(root: EmbeddedCluster.defaultRoot())) else {
    return false
  }
  defer { owner.close() }
  return (try? ConsultStore(connection: owner).vacuumAfterErasure()) == true
}

extension ContributionsCommand {
  /// `consult contributions redact CONSULTATION ID (--span TEXT | --from N --to N) --reason KIND`.
  struct Redact: WritingCommand {
    static let configuration = CommandConfiguration(
      abstract: "Redact a span of a contribution's published text, with a reason; exports show [redacted: reason].",
      discussion: """
        The span is --span TEXT (exactly as written; with --every, each occurrence) or --from N --to N (code \
        points, 0-based, --to exclusive). Reasons: \(RedactionReason.allCases.map(\.rawValue).joined(separator: ", ")). \
        The original span stays readable by consult_admin only (`consult contributions redactions ... --originals`); \
        the redaction is a 'redact' event.
        Example: consult contributions redact white-paper-2016 12 --span "Jane Doe" --reason personal-data
        """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The contribution's id.") var id: Int64
    @Option(parsing: .unconditional, help: "The exact text to redact.") var span: String?
    @Flag(help: "Redact every occurrence of --span (default: it must occur once).") var every = false
    @Option(help: "First code point of the span (0-based).") var from: Int?
    @Option(help: "End of the span (exclusive).") var to: Int?
    @Option(help: "Why: personal-data, defamation, off-topic, offensive, confidential or other.")
    var reason: RedactionReason
    @Option(help: "A note for the record.") var note: String?

    func validate() throws {
      switch (span, from, to) {
      case (.some, nil, nil): break
      case (nil, .some, .some): if every { throw ValidationError("--every goes with --span") }
      default: throw ValidationError("give either --span TEXT or both --from N and --to N")
      }
    }

    func execute(_ store: ConsultStore, actor: String) throws {
      let which: RedactionSpan = span.map { .text($0, every: every) } ?? .offsets(from: from!, to: to!)
      let done = try store.redactContribution(
        id, in: consultation, span: which, reason: reason, note: note, actor: actor)
      if output.json { return try printJSON(done) }
      say("Redacted \(counted(done.spans, "span")) of contribution #\(done.contributionID) (\(reason.label))")
    }
  }

  /// `consult contributions redactions CONSULTATION ID [--originals]`.
  struct Redactions: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "List a contribution's redactions; --originals shows the redacted text (consult_admin only).")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The contribution's id.") var id: Int64
    @Flag(help: "Show the original spans (acts as consult_admin).") var originals = false

    func run() throws {
      try connection.withStore(role: originals ? .admin : .editor) { store in
        let entries =
          originals
          ? try store.redactedOriginals(of: id, in: consultation) : try store.redactions(of: id, in: consultation)
        if output.json { return try printJSON(entries) }
        if entries.isEmpty { say("Contribution #\(id) has no redactions") }
        for entry in entries {
          say(
            "#\(entry.id)\tevent #\(entry.eventID)\t\(entry.reason)\t\(entry.from)-\(entry.to)"
              + (entry.note.map { "\t\(terminalLine($0))" } ?? "")
              + (entry.original.map { "\toriginal: \(terminalLine($0))" } ?? ""))
        }
      }
    }
  }

  /// `consult contributions clear CONSULTATION ID --reviewer ACTOR`.
  struct Clear: StoreCommand {
    static let configuration = CommandConfiguration(
      abstract: "Clear a flagged Chatham House statement for publication, as a named reviewer.",
      discussion: """
        A statement under the Chatham House Rule whose text names a participant, an invitee's organisation or \
        a host is flagged; its workshop's summary cannot be published until it is redacted or cleared. The \
        clearance is a 'clear-disclosure' event by the reviewer; a later change of the text needs a new one.
        """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The contribution's id.") var id: Int64
    @Option(help: "The reviewer: a registered actor's handle (`consult actor add`).") var reviewer: String
    @Option(help: "Why it may be published as it stands.") var note: String?

    func execute(_ store: ConsultStore) throws {
      try ActorOptions.requireRegistered(reviewer, option: "--reviewer", in: store)
      let event = try store.clearDisclosure(contributionID: id, in: consultation, reviewer: reviewer, note: note)
      if output.json { return try printJSON(event) }
      say("Contribution #\(id) cleared for publication by \(reviewer)")
    }
  }

  /// `consult contributions flagged CONSULTATION [--workshop KEY]`.
  struct Flagged: StoreCommand {
    static let configuration = CommandConfiguration(
      abstract: "List Chatham House statements whose text names a participant, an invitee's organisation or a host.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "Only this workshop.") var workshop: String?

    func execute(_ store: ConsultStore) throws {
      let findings = try store.disclosureReview(of: consultation, workshop: workshop)
      if output.json { return try printJSON(findings) }
      if findings.isEmpty { say("No statement names a participant, an invitee's organisation or a host") }
      for finding in findings {
        say(
          "#\(finding.contributionID)\t\(finding.workshop)\tnames stakeholder "
            + finding.stakeholderIDs.map { "#\($0)" }.joined(separator: ", ")
            + "\t\(finding.cleared ? "cleared" : "not cleared")")
      }
    }
  }
}

extension WorkshopCommand {
  /// `consult workshop disclosure-threshold CONSULTATION WORKSHOP N`.
  struct DisclosureThreshold: WritingCommand {
    static let configuration = CommandConfiguration(
      commandName: "disclosure-threshold",
      abstract: "Set the smallest participation count a workshop's exports show (default 3).",
      discussion: """
        Counts below it are published as "fewer than N", and as many others withheld as keep the totals from \
        giving them back (secondary cell suppression), in every export format.
        """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The workshop key.") var workshop: String
    @Argument(help: "The threshold, 1 (show every count) to 1000.") var threshold: Int

    func execute(_ store: ConsultStore, actor: String) throws {
      try store.setDisclosureThreshold(threshold, workshop: workshop, in: consultation, actor: actor)
      say("Participation counts of \(workshop) below \(threshold) are published as \"fewer than \(threshold)\"")
    }
  }
}
