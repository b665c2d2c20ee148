import ArgumentParser
import ConsultCore
import ConsultExport
import ConsultStore
import Foundation

/// `consult workflow validate|graph|list|migrate`: check, draw, list workflow definitions and move
/// consultations between their versions.
struct WorkflowCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "workflow", abstract: "Validate, draw and list workflow definitions; migrate consultations.",
    subcommands: [Validate.self, Graph.self, ListWorkflows.self, Migrate.self])

  /// `consult workflow validate FILE...`: runs every check a load runs; no database.
  struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check workflow files; print every problem as file:line:column: error: message.",
      discussion: "Exit status 1 if any file has a problem. Needs no database.")
    @Argument(help: "Workflow YAML files.") var files: [String]

    func validate() throws {
      if files.isEmpty { throw ValidationError("give at least one workflow file") }
    }

    func run() throws {
      var failed = false
      for file in files {
        do {
          let workflow = try WorkflowDefinition.parse(yaml: try readText(path: file), file: file)
          say("\(file): ok (workflow \(workflow.name) version \(workflow.version))")
        } catch {
          failed = true
          _ = report(error, verbose: false)
        }
      }
      if failed { throw Exit.failure }
    }
  }

  /// `consult workflow graph NAME|FILE --format mermaid|dot [--machine KIND]`; no database.
  struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Draw a workflow's state machines as a Mermaid or Graphviz diagram.",
      discussion:
        "Example: consult workflow graph white-paper --format dot | dot -Tsvg > white-paper.svg. Needs no database."
    )
    /// The diagram notations (``WorkflowDiagram/Format``), as the option spells them.
    enum Format: String, ExpressibleByArgument, CaseIterable {
      case mermaid, dot
    }
    @Argument(help: "A shipped workflow's name (e.g. white-paper) or a workflow YAML file.") var workflow: String
    @Option(help: "mermaid (stateDiagram-v2) or dot (Graphviz).") var format: Format = .mermaid
    @Option(
      help:
        "Draw only this entity kind's machine (consultation, workshop, invitation, contribution, proceedings-summary).")
    var kind: String?
    /// The name this option had before it was spelled like `consult log --kind`; still accepted.
    @Option(name: .customLong("machine"), help: .hidden) var machine: String?

    func validate() throws {
      if kind != nil && machine != nil { throw ValidationError("give --kind only (--machine is its old name)") }
      if let kind = kind ?? machine, EntityKind(rawValue: kind) == nil {
        let kinds = EntityKind.allCases.map(\.rawValue)
        throw ValidationError(
          "--kind \(kind)\(Phrasing.didYouMean(kind, among: kinds)): use one of \(kinds.joined(separator: ", "))")
      }
    }

    func run() throws {
      do {
        let path = workflowPath(workflow)
        guard FileManager.default.fileExists(atPath: path) else {
          if path == workflow {
            throw InputError(message: "\(workflow): no such file")
          }
          let shipped =
            (try? FileManager.default.contentsOfDirectory(atPath: BundledFiles.workflowsDirectory.path))?
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted() ?? []
          throw InputError(
            message:
              "'\(workflow)' is not a shipped workflow (shipped: \(shipped.joined(separator: ", "))); give the path of a workflow file"
          )
        }
        let definition = try WorkflowDefinition.parse(yaml: try readText(path: path), file: path)
        let diagram = try WorkflowDiagram(definition, machine: (kind ?? machine).flatMap(EntityKind.init(rawValue:)))
        print(diagram.render(format == .dot ? .dot : .mermaid), terminator: "")
      } catch {
        throw report(error, verbose: false)
      }
    }
  }

  /// `consult workflow list`: the versions registered in the database.
  struct ListWorkflows: StoreCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List the workflow versions registered in the database and their use.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    func execute(_ store: ConsultStore) throws {
      let workflows = try store.registeredWorkflows()
      if output.json { return try printJSON(workflows) }
      if workflows.isEmpty { say("No workflows registered yet; `consult open` registers the one it uses.") }
      for w in workflows {
        say("\(w.name)\t\(w.version)\t\(w.contentHash.prefix(12))\t\(counted(w.consultations, "consultation"))")
      }
    }
  }
}

extension WorkflowCommand {
  /// `consult workflow migrate CONSULTATION --to VERSION [--map OLD=NEW ...] [--file FILE]`.
  struct Migrate: WritingCommand {
    /// Workflow migration moves every entity at once: an administrator's task.
    static let databaseRole = DatabaseRole.admin
    static let configuration = CommandConfiguration(
      abstract: "Move a consultation and all its entities to another version of its workflow.",
      discussion: """
        States keep their names unless --map says otherwise; every state in use that the new version \
        lacks needs a mapping, or nothing is done and the missing ones are listed. One transaction; \
        logged as a migrate-workflow event on the consultation and on every entity whose state changes.
        Example: consult workflow migrate white-paper-2016 --to 2 --file my-white-paper.yaml --map workshop.held=took-place
        """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "The version to move to (registered, or registered from --file).") var to: String
    @Option(
      name: .customLong("map"),
      help: ArgumentHelp(
        "OLD=NEW for a state of any machine, or KIND.OLD=NEW for one machine's state; repeatable.",
        valueName: "mapping"))
    var mappings: [String] = []
    @Option(help: "Register this workflow file (version --to) first, in the same transaction.") var file: String?
    @Option(help: "A note recorded with the consultation's migration event.") var reason: String?

    func validate() throws {
      do {
        _ = try StateMapping.parse(mappings)
      } catch {
        throw ValidationError(error.description)
      }
    }

    func execute(_ store: ConsultStore, actor: String) throws {
      let mapping = try StateMapping.parse(mappings)
      let source = try file.map { (text: try readText(path: $0), file: $0) }
      let result = try store.migrateWorkflow(
        of: consultation, to: to, mapping: mapping, source: source, actor: actor, reason: reason)
      if output.json { return try printJSON(result) }
      say("Migrated \(result.consultation) from \(result.workflow)@\(result.fromVersion) to @\(result.toVersion)")
      for move in result.moves {
        say(
          "  \(move.kind) \(move.from)\(move.from == move.to ? " (kept)" : " → \(move.to)"): \(grouped(move.count))")
      }
      say("\(counted(result.eventsLogged, "event")) logged")
    }
  }
}

/// The file a workflow reference names: a path as given (contains `/` or ends in `.yaml`/`.yml`),
/// else the shipped `NAME.yaml` (the rule ``ConsultStore/resolveWorkflow(_:)`` applies).
func workflowPath(_ reference: String) -> String {
  if reference.contains("/") || reference.hasSuffix(".yaml") || reference.hasSuffix(".yml") { return reference }
  return BundledFiles.workflowsDirectory.appendingPathComponent(reference + ".yaml").path
}

/// `consult log check [CONSULTATION]`: replays the event log against the stored states.
struct LogCheck: StoreCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Replay the event log and compare it with every stored state; exit 1 on any discrepancy.")
  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var output: OutputOptions
  @Argument(help: "Only this consultation (default: the whole database).") var consultation: String?
  func execute(_ store: ConsultStore) throws {
    let result = try store.checkLog(of: consultation)
    if output.json {
      try printJSON(result)
    } else if result.isConsistent {
      say(
        "ok: \(counted(result.events, "event")), \(counted(result.entities, "entity", plural: "entities")) replayed")
    } else {
      // Kinds, events and states come from the database: printed with control characters escaped.
      for discrepancy in result.discrepancies { say(terminalLine(discrepancy.description)) }
      printError(
        "consult: \(counted(result.discrepancies.count, "discrepancy", plural: "discrepancies")) "
          + "(\(counted(result.events, "event")), \(counted(result.entities, "entity", plural: "entities")) replayed)"
      )
    }
    if !result.isConsistent { throw Exit.failure }
  }
}

/// `consult log verify [CONSULTATION] [--digest D]`: the record proves itself.
struct LogVerify: StoreCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Verify the record: states replayed, every hash and link recomputed, contents checked; exit 1 if broken.",
    discussion: """
      Recomputes every event's SHA-256 over its canonical form and its link to the previous event of \
      its entity, checks that every contribution's and summary's content is what its latest content event \
      pinned, and replays the states. With --digest D (printed by `consult log digest` and in every \
      summary export) it also checks that the consultation's record still extends what D pinned: that \
      catches deleted latest events and a rewrite whose hashes were all recomputed. Without a \
      consultation, D is the stakeholder register's digest (`consult log digest` without a consultation).
      """)
  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var output: OutputOptions
  @Argument(help: "Only this consultation (default: the whole database).") var consultation: String?
  @Option(help: ArgumentHelp("A record digest printed earlier (CUTOFF:HEX).", valueName: "digest")) var digest: String?
  func execute(_ store: ConsultStore) throws {
    let pinned = try digest.map { text -> RecordDigest in
      guard let parsed = RecordDigest(text) else {
        throw InputError(
          message: "--digest '\(terminalLine(text))': expected CUTOFF:HEX as `consult log digest` prints it")
      }
      return parsed
    }
    let result = try store.verifyLog(of: consultation, digest: pinned)
    if output.json {
      try printJSON(result)
    } else if result.isIntact {
      say(
        "ok: \(counted(result.eventsHashed, "event")) hashed and linked, "
          + "\(counted(result.replay.entities, "entity", plural: "entities")) replayed"
          + (result.digestMatches == true ? "; the record extends digest \(result.digest ?? "")" : ""))
    } else {
      // Kinds, events and states come from the database: printed with control characters escaped.
      if let first = result.brokenLinks.first { say("first broken link: \(terminalLine(first.description))") }
      for link in result.brokenLinks.dropFirst() { say(terminalLine(link.description)) }
      for discrepancy in result.replay.discrepancies { say(terminalLine(discrepancy.description)) }
      if result.digestMatches == false {
        say(
          "the record no longer extends digest \(result.digest ?? ""): events it covered were deleted or rewritten")
      }
      printError(
        "consult: the record is broken: \(counted(result.brokenLinks.count, "broken link")), "
          + "\(counted(result.replay.discrepancies.count, "state discrepancy", plural: "state discrepancies"))"
          + (result.digestMatches == false ? ", digest mismatch" : ""))
    }
    if !output.json {
      let formatter = ISO8601DateFormatter()
      for erasure in result.erasures {
        say(
          "erasure #\(erasure.eventID) on \(formatter.string(from: erasure.occurredAt)) by "
            + "\(terminalLine(erasure.actor ?? "an erased actor")) rewrote \(counted(erasure.eventsRewritten, "earlier event"))"
            + (erasure.pinnedByDigest > 0
              ? " (\(counted(erasure.pinnedByDigest, "event")) of them as the digest had pinned them)" : "")
            + ": personal data replaced by a pseudonym; verified as sanctioned rewrites")
      }
    }
    if !result.isIntact { throw Exit.failure }
  }
}

/// `consult log digest [CONSULTATION]`: one SHA-256 that pins the record as it stands.
struct LogDigest: StoreCommand {
  static let configuration = CommandConfiguration(
    commandName: "digest",
    abstract: "Print the consultation's record digest (CUTOFF:HEX), to publish and check later with log verify.",
    discussion: """
      Without a consultation: the stakeholder register's digest (every stakeholder's chain of added, \
      edited and erased events), checked with `consult log verify --digest D`.
      """)
  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var output: OutputOptions
  @Argument(help: "The consultation; none for the stakeholder register.") var consultation: String?
  func execute(_ store: ConsultStore) throws {
    let digest = try store.recordDigest(of: consultation)
    if output.json { return try printJSON(digest) }
    say(digest.description)
  }
}
