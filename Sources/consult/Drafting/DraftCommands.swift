import ArgumentParser
import ConsultCore
import ConsultDrafting
import ConsultExport
import ConsultStore
import Foundation

/// `consult draft …`: the paper a consultation drafts — revisions, comments, the comment
/// resolution matrix, diffs, sign-off, Word in and out.
struct DraftCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "draft",
    abstract: "Draft the paper: numbered revisions, anchored comments, resolution matrix, diff, sign-off, Word.",
    discussion: """
      The draft is Markdown (or Word .docx through pandoc). Each heading is a section with a stable anchor: \
      the {#anchor} written after it, else one derived from the heading's own text. Cite contributions as \
      [#12] and comments as [c3]. The workflow file declares the draft and comment machines and, under \
      sign-off:, the approvers; a workflow without them refuses these commands.
      """,
    subcommands: [
      New.self, Revise.self, Show.self, List.self, CommentOn.self, Comments.self, Decide.self, Approve.self,
      AdvanceDraft.self, Matrix.self, Diff.self, ExportDraft.self,
    ])

  /// Reads a draft file: Markdown as it is; `.docx` converted through pandoc. Malformed anchors are
  /// reported as FILE:LINE; a file (or its Markdown) over ``ConsultDrafting/DraftDocument/maxBytes``
  /// is refused, naming the file.
  static func readDraft(_ path: String) throws -> String {
    let name = path == "-" ? "standard input" : path
    if path != "-", let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
      let problem = DraftDocument.sizeProblem(bytes: size)
    {
      throw InputError(message: "\(name): \(problem)")
    }
    let text: String
    if isWord(path) {
      guard FileManager.default.fileExists(atPath: path) else { throw InputError(message: "\(path): no such file") }
      text = try Pandoc(executable: try Pandoc.locate()).docxToMarkdown(URL(fileURLWithPath: path))
    } else {
      text = try readText(path: path)
    }
    if let problem = DraftDocument.sizeProblem(text) { throw InputError(message: "\(name): \(problem)") }
    do {
      _ = try DraftDocument.sections(of: text)
    } catch {
      throw InputError(message: "\(name):\(error.line): \(error.message)")
    }
    return text
  }

  /// Whether `path` names a Word file (`.docx`), read through pandoc.
  static func isWord(_ path: String) -> Bool { path.lowercased().hasSuffix(".docx") }

  struct New: WritingCommand {
    static let configuration = CommandConfiguration(
      abstract: "Start the consultation's draft from a Markdown or Word file (revision 1).")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The text: a Markdown file, a Word .docx (needs pandoc), or - for standard input.") var file: String
    @Option(help: "The paper's title.") var title: String
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      let body = try DraftCommand.readDraft(file)
      let draft = try store.createDraft(in: consultation, title: title, body: body, actor: actor, at: try when.time())
      if output.json { return try printJSON(draft) }
      let sections = try DraftDocument.sections(of: body)
      say("Started the draft of \(consultation): revision 1, \(counted(sections.count, "section")) (\(draft.state))")
    }
  }

  struct Revise: WritingCommand {
    static let configuration = CommandConfiguration(
      abstract: "Record a new revision from a Markdown or Word file; it voids the approvals of the previous one.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The text: a Markdown file, a Word .docx (needs pandoc), or - for standard input.") var file: String
    @Option(help: "A new title (default: the latest revision's).") var title: String?
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      var body = try DraftCommand.readDraft(file)
      if DraftCommand.isWord(file) {
        // Word drops the headings' {#anchor}s: those whose heading text is unchanged get theirs back.
        let latest = try store.draftRevision(of: consultation)
        body = DraftDocument.carryingAnchors(from: latest.body, into: body)
        // pandoc rewrites the layout of Markdown on the way through Word (line breaks, list spacing,
        // footnotes): a copy exported and read back unedited is the latest revision, not a new one.
        if body == (try? DraftCommand.throughWord(latest)) {
          throw InputError(
            message: "\(file): holds revision \(latest.revision)'s text as Word gives it back, unedited: "
              + "nothing to revise (nothing written)")
        }
      }
      let before = try store.signOffStatus(of: consultation)
      let draft = try store.reviseDraft(in: consultation, title: title, body: body, actor: actor, at: try when.time())
      if output.json { return try printJSON(draft) }
      say("Saved revision \(draft.revision) of the draft of \(consultation)")
      if !before.approved.isEmpty {
        say("Voided the approvals of revision \(before.revision) by \(before.approved.joined(separator: ", "))")
      }
    }
  }

  /// A revision as `draft export --format docx --without-sources` writes it and `draft revise`
  /// reads it back: what an unedited round trip through Word gives.
  ///
  /// - Throws: ``InputError`` when pandoc is missing or fails.
  static func throughWord(_ revision: DraftRevision) throws -> String {
    let pandoc = Pandoc(executable: try Pandoc.locate())
    let markdown = DraftExporter.bodyOnly(revision)
    let docx = try pandoc.convert(
      Data(markdown.utf8), from: Pandoc.markdownReader, to: "docx",
      standaloneTitle: OutputText.withoutControls(revision.title))
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("consult-roundtrip-\(UUID()).docx")
    try docx.write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    return DraftDocument.carryingAnchors(from: revision.body, into: try pandoc.docxToMarkdown(file))
  }

  struct Show: StoreCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show the draft: revision, state, content hash, sections, comments, who approved and who is missing.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "A revision (default: the latest).") var revision: Int?

    struct View: Encodable {
      let draft: Draft
      let revision: DraftRevision
      let sections: [SectionView]
      let signOff: DraftSignOff
      let comments: [String: Int]
    }
    struct SectionView: Encodable {
      let anchor: String
      let heading: String
      let level: Int
      let line: Int
      let explicitAnchor: Bool
    }

    func execute(_ store: ConsultStore) throws {
      let draft = try store.draft(of: consultation)
      let shown = try store.draftRevision(of: consultation, number: revision)
      let sections = try DraftDocument.sections(of: shown.body)
      let signOff = try store.signOffStatus(of: consultation)
      let comments = try store.commentCounts(in: consultation)
      if output.json {
        return try printJSON(
          View(
            draft: draft, revision: shown,
            sections: sections.map {
              SectionView(
                anchor: $0.anchor, heading: $0.heading, level: $0.level, line: $0.line, explicitAnchor: $0.isExplicit)
            }, signOff: signOff, comments: comments))
      }
      say(
        "\(terminalLine(shown.title)) — draft of \(consultation), revision \(shown.revision) of \(draft.revision), \(draft.state)"
      )
      say("  content hash \(shown.contentHash)")
      say("  recorded \(ISO8601DateFormatter().string(from: shown.recordedAt)) by \(terminalLine(shown.actor))")
      say("Sections:")
      for section in sections {
        let indent = String(repeating: "  ", count: max(section.level, 1))
        say(
          "\(indent)\(section.anchor)\(section.isExplicit ? "" : " (derived)")  \(terminalLine(section.heading))  line \(section.line)"
        )
      }
      let states = comments.keys.sorted().map { "\($0) \(comments[$0]!)" }
      say("Comments: \(states.isEmpty ? "none" : states.joined(separator: ", "))")
      say("Sign-off of revision \(signOff.revision):")
      if signOff.required.isEmpty {
        say(
          signOff.signOffEvent == nil
            ? "  no approvers (the workflow file has no sign-off)"
            : "  no approvers yet: the workflow's sign-off names the workshops' co-hosts, and no workshop has one")
      } else {
        say("  approved: \(signOff.approved.isEmpty ? "nobody yet" : signOff.approved.joined(separator: ", "))")
        say("  missing:  \(signOff.missing.isEmpty ? "nobody" : signOff.missing.joined(separator: ", "))")
      }
      for approval in signOff.approvals {
        say(
          "  revision \(approval.revision) approved by \(terminalLine(approval.stakeholder)) (recorded by \(terminalLine(approval.actor)), "
            + "\(ISO8601DateFormatter().string(from: approval.at)))\(approval.isVoid ? " — void: a later revision replaced it" : "")"
        )
      }
      if signOff.isFinal { say("Final: revision \(draft.revision) is signed off.") }
    }
  }

  struct List: StoreCommand {
    static let configuration = CommandConfiguration(abstract: "List the draft's revisions, oldest first.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    func execute(_ store: ConsultStore) throws {
      let revisions = try store.draftRevisions(of: consultation)
      if output.json { return try printJSON(revisions) }
      for revision in revisions {
        say(
          "\(revision.revision)\t\(ISO8601DateFormatter().string(from: revision.recordedAt))\t\(terminalLine(revision.actor))\t"
            + "\(revision.contentHash.prefix(12))\t\(terminalLine(revision.title))")
      }
    }
  }

  struct CommentOn: WritingCommand {
    static let configuration = CommandConfiguration(
      commandName: "comment",
      abstract: "Record a comment on a section (and a passage) of a revision.",
      discussion: """
        --quote stores the passage as a W3C TextQuoteSelector (exact text with 32 characters of context); \
        later revisions re-anchor it (exact, fuzzy, moved) or flag it orphaned.
        """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "The revision commented on.") var revision: Int
    @Option(help: "The section's anchor (see `consult draft show`).") var section: String
    @Option(parsing: .unconditional, help: "The exact passage commented on (default: the whole section).") var quote:
      String?
    @Option(help: "The commenter (a stakeholder handle).") var stakeholder: String
    @Option(help: "general, technical or editorial.") var type: DraftComment.CommentType
    @Option(parsing: .unconditional, help: "The comment.") var text: String
    @Option(help: "The change proposed.") var proposedChange: String?
    @Option(
      help: "The commenter's consent to be named: named, organisation, stakeholder-group or not-for-publication.")
    var consent: Contribution.Attribution = .named
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      let comment = try store.addComment(
        in: consultation, revision: revision, section: section, quote: quote, stakeholder: stakeholder,
        consent: consent, type: type, text: text, proposedChange: proposedChange, actor: actor, at: try when.time())
      if output.json { return try printJSON(comment) }
      say(
        "Recorded comment c\(comment.id) on \(comment.section), line \(comment.line) of revision \(comment.revision) (\(comment.state))"
      )
    }
  }

  struct Comments: StoreCommand {
    static let configuration = CommandConfiguration(
      abstract: "List the comments, each with where its passage is in the latest revision.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    func execute(_ store: ConsultStore) throws {
      let comments = try store.comments(in: consultation)
      if output.json { return try printJSON(comments) }
      for c in comments {
        let now = c.anchor.match == .orphaned ? c.anchorNow.uppercased() : c.anchorNow
        say(
          "c\(c.id)\t\(c.state)\t\(c.type.rawValue)\t\(c.stakeholder)\trevision \(c.revision) \(c.section):\(c.line)\t"
            + "now \(now)\t\(terminalLine(c.text))")
        if let response = c.response {
          say("\tresponse: \(terminalLine(response))\(c.resolvedIn.map { " (revision \($0))" } ?? "")")
        }
      }
    }
  }

  struct Decide: WritingCommand {
    static let configuration = CommandConfiguration(
      abstract: "Record the drafting team's decision on a comment (accept, partly-accept, reject, note, close…).")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The comment: c12 or 12.") var comment: String
    @Argument(help: "The comment machine's event, e.g. accept.") var event: String
    @Option(
      parsing: .unconditional, help: "The drafting team's response (required unless the event closes the comment).")
    var response: String?
    @Option(name: .customLong("revision"), help: "The revision that carries the change.") var resolvedIn: Int?
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      guard let id = Int64(comment.hasPrefix("c") ? String(comment.dropFirst()) : comment) else {
        throw InputError(message: "comment: '\(comment)' is not a comment id (c12 or 12)")
      }
      let decided = try store.decideComment(
        id, in: consultation, event: event, response: response, resolvedIn: resolvedIn, actor: actor,
        at: try when.time())
      if output.json { return try printJSON(decided) }
      say("Comment c\(id) is \(decided.state)\(decided.resolvedIn.map { " (change in revision \($0))" } ?? "")")
    }
  }

  struct Approve: WritingCommand {
    static let configuration = CommandConfiguration(
      abstract: "Record an approver's sign-off of a revision's exact text; final once every approver has approved.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "The revision approved (must be the latest).") var revision: Int
    @Option(help: "The approver (a stakeholder handle the workflow's sign-off names).") var stakeholder: String
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      let status = try store.approveDraft(
        in: consultation, revision: revision, stakeholder: stakeholder, actor: actor, at: try when.time())
      if output.json { return try printJSON(status) }
      say("\(stakeholder) approved revision \(revision) (\(status.revisionHash.prefix(12)))")
      if status.isFinal {
        say("Final: every approver approved revision \(revision).")
      } else if let blocked = status.blockedBy {
        say("Every approver approved, but the draft is not final: \(blocked)")
        if let event = status.signOffEvent {
          say("Once that holds: consult draft advance \(consultation) \(terminalLine(event))")
        }
      } else {
        say("Still missing: \(status.missing.joined(separator: ", "))")
      }
    }
  }

  struct AdvanceDraft: WritingCommand {
    static let configuration = CommandConfiguration(
      commandName: "advance", abstract: "Fire a draft event (finalise once every approver approved, withdraw).")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The event.") var event: String
    @Option(help: "A note recorded in the event log.") var reason: String?
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      let record = try store.advanceDraft(
        in: consultation, event: event, actor: actor, reason: reason, at: try when.time())
      try printTransition(record, label: "draft of \(consultation)", json: output.json)
    }
  }

  enum MatrixFormat: String, ExpressibleByArgument, CaseIterable {
    case csv, markdown, html, docx
  }

  struct Matrix: StoreCommand {
    static let configuration = CommandConfiguration(
      abstract: "Export the comment resolution matrix (ISO commenting template columns, attribution applied).",
      discussion: """
        CSV columns: \(DraftMatrixExporter.columns.joined(separator: ", ")). The commenter is shown as \
        their consent allows; the text of a comment not for publication is withheld. docx needs pandoc.
        """)
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "Output format: csv, markdown, html, docx.") var format: MatrixFormat = .markdown
    @Option(name: [.short, .long], help: "Write to FILE (default: standard output); prints the path.") var output:
      String?
    func execute(_ store: ConsultStore) throws {
      try Export.Destination.check(output)
      try Pandoc.refuseBinaryOnTerminal(format == .docx, output: output)
      let pandoc = format == .docx ? try Pandoc.locate() : nil
      let draft = try store.draft(of: consultation)
      let comments = try store.comments(in: consultation)
      let exporter = DraftMatrixExporter()
      let bytes: Data
      switch format {
      case .csv: bytes = try exporter.render(comments, draft: draft, format: .csv)
      case .markdown: bytes = try exporter.render(comments, draft: draft, format: .markdown)
      case .html: bytes = try exporter.render(comments, draft: draft, format: .html)
      case .docx:
        bytes = try Pandoc(executable: pandoc!).convert(
          try exporter.render(comments, draft: draft, format: .html), from: "html", to: "docx")
      }
      try Export.Destination.writing(to: output) { try $0.write(bytes) }
    }
  }

  struct Diff: StoreCommand {
    static let configuration = CommandConfiguration(
      abstract: "Compare two revisions section by section (added, removed, moved, changed; words inside).")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The older revision.") var from: Int
    @Argument(help: "The newer revision.") var to: Int
    @Option(help: "Output format: markdown (CriticMarkup), html.") var format: DraftDiffRenderer.Format = .markdown
    @Option(name: [.short, .long], help: "Write to FILE (default: standard output); prints the path.") var output:
      String?
    func execute(_ store: ConsultStore) throws {
      try Export.Destination.check(output)
      let old = try store.draftRevision(of: consultation, number: from)
      let new = try store.draftRevision(of: consultation, number: to)
      let changes = DraftDiff.compare(
        try DraftDocument.sections(of: old.body), try DraftDocument.sections(of: new.body))
      let text = DraftDiffRenderer().render(changes, title: new.title, from: from, to: to, format: format)
      try Export.Destination.writing(to: output) { try $0.write(Data(text.utf8)) }
    }
  }

  enum DocumentFormat: String, ExpressibleByArgument, CaseIterable {
    case markdown, html, docx
  }

  struct ExportDraft: StoreCommand {
    static let configuration = CommandConfiguration(
      commandName: "export",
      abstract: "Export a revision as Markdown, HTML or Word, with its sources per section.",
      discussion: """
        After the text, "Sources" lists per section the contributions ([#12]) and comments ([c3]) it cites, \
        attributed as the attribution rules allow. --without-sources leaves it out (the copy to edit in Word \
        and read back with `draft revise`). html and docx need pandoc (Debian: apt-get install pandoc). Every \
        format is safe to publish: raw HTML in the draft is shown as text, only http, https, mailto and \
        #anchor links stay links, element attributes other than id and class are dropped, and no control \
        character but tab and line feed is written.
        """)
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "A revision (default: the latest).") var revision: Int?
    @Option(help: "Output format: markdown, html, docx.") var format: DocumentFormat = .markdown
    @Flag(help: "Leave out the sources (for the copy to edit).") var withoutSources = false
    @Option(name: [.short, .long], help: "Write to FILE (default: standard output); prints the path.") var output:
      String?
    func execute(_ store: ConsultStore) throws {
      try Export.Destination.check(output)
      try Pandoc.refuseBinaryOnTerminal(format == .docx, output: output)
      let pandoc = format == .markdown ? nil : try Pandoc.locate()
      let shown = try store.draftRevision(of: consultation, number: revision)
      let markdown =
        withoutSources
        ? DraftExporter.bodyOnly(shown)
        : DraftExporter().markdown(
          shown, contributions: try store.draftCitedContributions(of: consultation, revision: shown.revision),
          comments: try store.comments(in: consultation))
      let bytes: Data
      let title = OutputText.withoutControls(shown.title)
      switch format {
      case .markdown: bytes = Data(markdown.utf8)
      case .html:
        bytes = try Pandoc(executable: pandoc!).convert(
          Data(markdown.utf8), from: Pandoc.markdownReader, to: "html5", standaloneTitle: title)
      case .docx:
        bytes = try Pandoc(executable: pandoc!).convert(
          Data(markdown.utf8), from: Pandoc.markdownReader, to: "docx", standaloneTitle: title)
      }
      try Export.Destination.writing(to: output) { try $0.write(bytes) }
    }
  }
}

extension DraftComment.CommentType: ExpressibleByArgument {}
extension DraftDiffRenderer.Format: ExpressibleByArgument {}

/// Converts documents with pandoc (pandoc.org; Debian package `pandoc`), the optional converter of
/// drafts to and from Word.
struct Pandoc {
  /// Refuses to write a Word file (binary: a zip archive) to a terminal, where its bytes would
  /// be taken as control sequences; a file (`--output`) or a redirected standard output is fine.
  ///
  /// - Parameters:
  ///   - binary: Whether the output is a Word file.
  ///   - output: The `--output` path, nil for standard output.
  /// - Throws: ``InputError`` naming `--output`.
  static func refuseBinaryOnTerminal(_ binary: Bool, output: String?) throws {
    if binary, output == nil, isatty(STDOUT_FILENO) != 0 {
      throw InputError(
        message: "a Word file is binary: give --output FILE.docx, or redirect standard output to a file")
    }
  }

  /// The pandoc binary.
  let executable: URL

  /// Pandoc's Markdown without raw HTML, TeX or raw attributes (`` `…`{=html} ``), so a draft cannot
  /// inject markup into an HTML or Word export, and with header attributes (`{#anchor}`).
  /// Straight quotes stay straight (no `smart`), so text comes back from Word as it went.
  static let markdownReader = "markdown-raw_html-raw_tex-raw_attribute-smart+header_attributes"

  /// A pandoc Lua filter (pandoc.org/lua-filters.html) run on every conversion from Markdown:
  /// headings, divs, spans, links, images and code keep their identifier and classes and lose
  /// every other attribute, so `# Scope {#scope onclick="…"}` or `[x](https://…){onmouseover=…}`
  /// cannot put an event handler into the HTML.
  static let attributeFilter = """
    local function strip(el)
      el.attr = pandoc.Attr(el.attr.identifier, el.attr.classes, {})
      return el
    end
    return {{Header = strip, Div = strip, Span = strip, Link = strip, Image = strip, Code = strip, CodeBlock = strip}}

    """

  /// `$CONSULT_PANDOC`, else the first `pandoc` on `PATH`.
  ///
  /// - Throws: ``InputError`` saying what to install when there is none.
  static func locate() throws -> URL {
    let environment = ProcessInfo.processInfo.environment
    if let path = environment["CONSULT_PANDOC"], !path.isEmpty {
      guard FileManager.default.isExecutableFile(atPath: path) else {
        throw InputError(message: "CONSULT_PANDOC=\(path) is not an executable file")
      }
      return URL(fileURLWithPath: path)
    }
    for directory in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
      let path = "\(directory)/pandoc"
      if FileManager.default.isExecutableFile(atPath: path) { return URL(fileURLWithPath: path) }
    }
    throw InputError(
      message: """
        Word and HTML conversion of drafts needs pandoc, and no pandoc binary was found on PATH. Install it \
        (Debian/Ubuntu: apt-get install pandoc; macOS: brew install pandoc) or set CONSULT_PANDOC to its path; \
        or use Markdown (--format markdown, or a .md file).
        """)
  }

  /// Converts `input` from one pandoc format to another.
  ///
  /// - Parameters:
  ///   - input: The document's bytes.
  ///   - from: pandoc's input format (`html`, ``markdownReader``, `docx`).
  ///   - to: pandoc's output format (`docx`, `html5`, `markdown`).
  ///   - standaloneTitle: For a standalone document, its title; nil: a fragment (binary formats are
  ///     always whole documents).
  /// - Returns: The converted bytes.
  /// - Throws: ``InputError`` with pandoc's message when it fails.
  func convert(_ input: Data, from: String, to: String, standaloneTitle: String? = nil, extra: [String] = [])
    throws -> Data
  {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "consult-pandoc-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let source = directory.appendingPathComponent("input")
    let target = directory.appendingPathComponent("output")
    try input.write(to: source)
    var arguments = ["--from", from, "--to", to, "--output", target.path]
    if from.hasPrefix("markdown") {
      let filter = directory.appendingPathComponent("attributes.lua")
      try Data(Self.attributeFilter.utf8).write(to: filter)
      arguments += ["--lua-filter", filter.path]
    }
    if let standaloneTitle { arguments += ["--standalone", "--metadata", "title=\(standaloneTitle)"] }
    arguments += extra + [source.path]
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let message = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0, let output = FileManager.default.contents(atPath: target.path) else {
      throw InputError(
        message: "pandoc failed (\(from) → \(to)): "
          + String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
    return output
  }

  /// A Word file as the draft's Markdown: ATX headings with their anchors (`{#anchor}` from the
  /// headings' bookmarks), lists, pipe tables, footnotes; lines not wrapped.
  func docxToMarkdown(_ file: URL) throws -> String {
    guard let bytes = FileManager.default.contents(atPath: file.path) else {
      throw InputError(message: "\(file.path): cannot read the file")
    }
    let markdown = try convert(
      bytes, from: "docx",
      to: "markdown-raw_html-raw_tex-smart-grid_tables-simple_tables-multiline_tables+pipe_tables",
      extra: ["--wrap=none", "--markdown-headings=atx"])
    // pandoc escapes the brackets of citations ([#12], [c3]), which are not links; unescape them.
    return String(decoding: markdown, as: UTF8.self).replacingOccurrences(
      of: #"\\\[((?:#|c)[0-9]+(?:,\s*(?:#|c)[0-9]+)*)\\\]"#, with: "[$1]", options: .regularExpression)
  }
}
