import ArgumentParser
import ConsultExport
import ConsultStore
import Foundation

struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Export what a consultation publishes (attribution rules applied in every format).",
    subcommands: [
      ExportSummary.self, ExportContributions.self, ExportAttendance.self, ExportCalendar.self, ExportTemplate.self,
    ])

  enum Format: String, ExpressibleByArgument, CaseIterable {
    case markdown
    case html
    case json
    case pdf
  }

  enum TemplateFormat: String, ExpressibleByArgument, CaseIterable {
    case markdown
    case html
  }

  enum TableFormat: String, ExpressibleByArgument, CaseIterable {
    case csv
    case json

    var tabular: TabularFormat { self == .csv ? .csv : .json }
  }

  enum CalendarFormat: String, ExpressibleByArgument, CaseIterable {
    case ics
  }

  /// The paper sizes a PDF summary is printed on (``PDFConverter/Paper``), as `--paper` spells them.
  enum PaperOption: String, ExpressibleByArgument, CaseIterable {
    case a4, letter

    var paper: PDFConverter.Paper { self == .a4 ? .a4 : .letter }
  }

  /// Where an export goes: `--output FILE` (written to a temporary file next
  /// to it, then renamed, so a failed export leaves no partial file; the path
  /// is printed) or standard output. FILE's directory must exist: a mistyped
  /// directory is an error (exit 1), never created. An existing FILE that is not
  /// a regular file (`/dev/null`, a named pipe, a terminal) is written in place,
  /// never replaced.
  struct Destination {
    let output: String?
    private var handle: FileHandle
    private var temporary: URL?

    /// Refuses an `--output` path whose directory does not exist (or is not a directory), or that
    /// names a directory; run before reading anything, so the mistake costs nothing.
    ///
    /// - Throws: ``InputError`` naming the directory.
    static func check(_ output: String?) throws {
      guard let output else { return }
      let url = URL(fileURLWithPath: output)
      let directory = url.deletingLastPathComponent().path
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
        throw InputError(message: "\(output): the directory \(directory) does not exist (create it first)")
      }
      guard isDirectory.boolValue else {
        throw InputError(message: "\(output): \(directory) is not a directory")
      }
      if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
        throw InputError(message: "\(output): is a directory; give a file name")
      }
    }

    init(_ output: String?) throws {
      self.output = output
      guard let output else {
        handle = FileHandle.standardOutput
        return
      }
      try Self.check(output)
      let url = URL(fileURLWithPath: output)
      var info = stat()
      if stat(url.path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
        // Following symbolic links (/dev/stdout): a device, a pipe or a socket.
        do {
          handle = try FileHandle(forWritingTo: url)
        } catch {
          throw InputError(message: "\(output): cannot write: \(error.localizedDescription)")
        }
        return
      }
      let target = url.resolvingSymlinksInPath()
      let temporary = target.deletingLastPathComponent().appendingPathComponent(
        ".\(target.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
      do {
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
          throw CocoaError(.fileWriteNoPermission)
        }
        handle = try FileHandle(forWritingTo: temporary)
      } catch {
        throw InputError(message: "\(output): cannot write: \(error.localizedDescription)")
      }
      self.temporary = temporary
    }

    /// Writes a chunk.
    func write(_ data: Data) throws {
      do {
        try handle.write(contentsOf: data)
      } catch {
        throw InputError(message: "\(output ?? "standard output"): cannot write: \(error.localizedDescription)")
      }
    }

    /// Closes the file, moves it into place (the target of a symbolic link, which stays) and prints
    /// its path.
    func finish() throws {
      guard let output else { return }
      let url = URL(fileURLWithPath: output)
      guard let temporary else {
        // Written in place (a device or a pipe).
        try? handle.close()
        say(url.standardizedFileURL.path)
        return
      }
      do {
        try handle.close()
        let target = url.resolvingSymlinksInPath()
        if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
        try FileManager.default.moveItem(at: temporary, to: target)
      } catch {
        throw InputError(message: "\(output): cannot write: \(error.localizedDescription)")
      }
      say(url.standardizedFileURL.path)
    }

    /// Removes the temporary file after a failure.
    func abandon() {
      guard let temporary else { return }
      try? handle.close()
      try? FileManager.default.removeItem(at: temporary)
    }

    /// Runs `body` with this destination, finishing on success and abandoning on failure.
    static func writing(to output: String?, _ body: (Destination) throws -> Void) throws {
      let destination = try Destination(output)
      do {
        try body(destination)
        try destination.finish()
      } catch {
        destination.abandon()
        throw error
      }
    }
  }

  struct ExportSummary: StoreCommand {
    static let configuration = CommandConfiguration(
      commandName: "summary",
      abstract: "Export the proceedings summary (attribution rules applied: Chatham House Rule, consent levels).",
      discussion: """
        markdown: CommonMark with GFM tables. html: one self-contained HTML file (inline CSS, print stylesheet). \
        json: schema consult.proceedings-summary/2 (Schema/json/proceedings-summary-2.schema.json). \
        pdf: the HTML printed by headless Chromium (needs a chromium binary: Debian `apt-get install chromium`, \
        or CONSULT_CHROMIUM=/path/to/chrome) on --paper a4 (default) or letter, with the consultation's title \
        in a running header and "Page N of M" in the footer. --template FILE renders markdown, html or pdf from your own \
        Mustache template; `consult export template --format html` prints the shipped one to start from.
        """)
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "Output format: markdown, html, json, pdf.") var format: Format = .markdown
    @Option(name: [.short, .long], help: "Write to FILE (default: standard output); prints the path.") var output:
      String?
    @Option(help: "A Mustache template of your own instead of the shipped one (markdown, html, pdf).")
    var template: String?
    @Option(help: "pdf: the paper size, a4 or letter (default: a4).") var paper: PaperOption?
    func validate() throws {
      if paper != nil && format != .pdf { throw ValidationError("--paper applies to --format pdf only") }
    }
    func execute(_ store: ConsultStore) throws {
      if format == .json, template != nil {
        throw InputError(message: "--template applies to markdown, html and pdf only")
      }
      try Destination.check(output)
      // Look for the converter before reading anything, so a missing one fails fast.
      let chromium = format == .pdf ? try PDFConverter.locate() : nil
      let source = try template.map { path in (path, try readText(path: path)) }
      var data = try store.proceedings(of: consultation)
      // The record as it stands pins what is published: `consult log verify CONSULTATION --digest D`.
      data.recordDigest = try store.recordDigest(of: consultation).description
      let bytes: Data
      switch format {
      case .markdown: bytes = Data(try withTemplate(source) { try MarkdownExporter(template: $0) }.render(data).utf8)
      case .html: bytes = Data(try withTemplate(source) { try HTMLExporter(template: $0) }.render(data).utf8)
      case .json: bytes = Data(try SummaryJSONExporter().render(data).utf8)
      case .pdf:
        let html = try withTemplate(source) { try HTMLExporter(template: $0) }.render(data)
        bytes = try PDFConverter(executable: chromium!).convert(
          html: html, paper: (paper ?? .a4).paper, title: data.consultation.title)
      }
      try Destination.writing(to: output) { try $0.write(bytes) }
    }

    /// Makes an exporter from the user's template (path and text) or the shipped one,
    /// reporting a malformed template with its path.
    func withTemplate<Exporter>(_ source: (path: String, text: String)?, _ make: (String?) throws -> Exporter)
      throws -> Exporter
    {
      do {
        return try make(source?.text)
      } catch {
        throw InputError(message: "\(source?.path ?? "template"): not a valid Mustache template: \(error)")
      }
    }
  }

  struct ExportTemplate: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "template",
      abstract: "Print the shipped Mustache template of the proceedings summary, to start a template of your own.",
      discussion: """
        Copy it, edit it, and pass it with `consult export summary CONSULTATION --format markdown|html|pdf \
        --template FILE`. The keys a template can use are listed in the README (Templates).
        """)
    @Option(help: "Template format: markdown, html.") var format: TemplateFormat = .markdown
    /// The format as a positional argument, its spelling before it became `--format` like every other
    /// export's; still accepted.
    @Argument(help: .hidden) var formatArgument: TemplateFormat?
    @Option(name: [.short, .long], help: "Write to FILE (default: standard output); prints the path.") var output:
      String?
    func run() throws {
      let chosen = formatArgument ?? format
      let text = chosen == .markdown ? MarkdownExporter.defaultTemplate : HTMLExporter.standaloneTemplate
      do {
        try Destination.writing(to: output) { try $0.write(Data((text + "\n").utf8)) }
      } catch {
        throw report(error, verbose: false)
      }
    }
  }

  struct ExportContributions: StoreCommand {
    static let configuration = CommandConfiguration(
      commandName: "contributions",
      abstract: "Export the publishable contributions, one row each (not-for-publication ones are omitted).",
      discussion: """
        Columns: \(ContributionsExporter.columns.joined(separator: ", ")). received_at is ISO 8601 UTC. \
        consent is the level the contributor gave, as stored (named, organisation, stakeholder-group); \
        published_as is what this export applied, the stricter of the consent and the workshop's rule: \
        named, organisation, stakeholder-group, or unattributed under the Chatham House Rule (no \
        person, organisation or group). attributed_to and stakeholder_group are what published_as \
        allows, empty when it allows none or none is known. JSON: schema \(ContributionsExporter.schema). \
        Rows are streamed in id order, 1,000 at a time.
        """)
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "Output format: csv, json.") var format: TableFormat = .csv
    @Option(name: [.short, .long], help: "Write to FILE (default: standard output); prints the path.") var output:
      String?
    func execute(_ store: ConsultStore) throws {
      _ = try store.consultation(consultation)  // an unknown one fails before the header is written
      try Destination.writing(to: output) { destination in
        let exporter = ContributionsExporter(
          format: format.tabular, consultation: consultation, sink: destination.write)
        try exporter.begin()
        try store.forEachContributionBatch(of: consultation, batchSize: 1_000) { try exporter.write($0) }
        try exporter.finish()
      }
    }
  }

  struct ExportAttendance: StoreCommand {
    static let configuration = CommandConfiguration(
      commandName: "attendance",
      abstract:
        "Export invitations and attendance per workshop (names only where the Chatham House Rule does not apply).",
      discussion: "Columns: \(AttendanceExporter.columns.joined(separator: ", ")).")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "Output format: csv, json.") var format: TableFormat = .csv
    @Option(name: [.short, .long], help: "Write to FILE (default: standard output); prints the path.") var output:
      String?
    func execute(_ store: ConsultStore) throws {
      try Destination.check(output)
      let records = try store.attendanceRecords(of: consultation)
      let data = try AttendanceExporter().render(records, consultation: consultation, format: format.tabular)
      try Destination.writing(to: output) { try $0.write(data) }
    }
  }

  struct ExportCalendar: StoreCommand {
    static let configuration = CommandConfiguration(
      commandName: "calendar",
      abstract: "Export the workshops as an iCalendar file (RFC 5545; no attendees for Chatham House workshops).")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "Output format: ics.") var format: CalendarFormat = .ics
    @Option(name: [.short, .long], help: "Write to FILE (default: standard output); prints the path.") var output:
      String?
    func execute(_ store: ConsultStore) throws {
      try Destination.check(output)
      let title = try store.consultation(consultation).title
      let workshops = try store.calendarWorkshops(of: consultation)
      let text = CalendarExporter().render(workshops, consultation: consultation, title: title)
      try Destination.writing(to: output) { try $0.write(Data(text.utf8)) }
    }
  }
}

/// Prints HTML to PDF with headless Chromium (`--print-to-pdf`), the optional
/// converter behind `consult export summary --format pdf`.
struct PDFConverter {
  /// The chromium (or Chrome) binary.
  let executable: URL

  /// Names tried on `PATH`, in order.
  static let candidates = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"]

  /// Finds the converter: `$CONSULT_CHROMIUM`, else the first of ``candidates`` on `PATH`.
  ///
  /// - Throws: ``InputError`` (exit 1) naming what to install when none is found.
  static func locate() throws -> URL {
    let environment = ProcessInfo.processInfo.environment
    if let path = environment["CONSULT_CHROMIUM"], !path.isEmpty {
      guard FileManager.default.isExecutableFile(atPath: path) else {
        throw InputError(message: "CONSULT_CHROMIUM=\(path) is not an executable file")
      }
      return URL(fileURLWithPath: path)
    }
    let directories = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
    for name in candidates {
      for directory in directories {
        let path = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return URL(fileURLWithPath: path) }
      }
    }
    throw InputError(
      message: """
        PDF export needs headless Chromium, and no chromium binary was found on PATH \
        (tried \(candidates.joined(separator: ", "))). Install it (Debian/Ubuntu: apt-get install chromium; \
        macOS: brew install --cask chromium) or set CONSULT_CHROMIUM to the browser's path; \
        or export --format html and print that page from a browser.
        """)
  }

  /// A paper size, as CSS `@page { size: … }` names it.
  enum Paper: String {
    /// ISO A4, 210 × 297 mm.
    case a4 = "A4"
    /// US Letter, 8.5 × 11 in.
    case letter = "letter"
  }

  /// The print stylesheet added to the page: the paper size and margins, the title in a running
  /// header and "Page N of M" in a running footer (CSS Paged Media margin boxes, which Chromium
  /// prints since version 131; the browser's own header and footer are switched off).
  ///
  /// - Parameters:
  ///   - paper: The paper size.
  ///   - title: The running header's text.
  /// - Returns: A `<style>` element.
  static func pageStyle(paper: Paper, title: String) -> String {
    let box = "font-family: \"Helvetica Neue\", Arial, sans-serif; font-size: 8.5pt; color: #555;"
    return """
      <style>
      @page {
        size: \(paper.rawValue);
        margin: 20mm 18mm 18mm 18mm;
        @top-center { content: \(cssString(title)); \(box) }
        @bottom-center { content: "Page " counter(page) " of " counter(pages); \(box) }
      }
      </style>
      """
  }

  /// `text` as a CSS string literal: quotes and backslashes escaped, `<` and `>` as code points
  /// (so no `</style>` can close the element), line breaks and other control characters as spaces.
  static func cssString(_ text: String) -> String {
    var quoted = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": quoted += "\\\""
      case "\\": quoted += "\\\\"
      case "<": quoted += "\\3C "
      case ">": quoted += "\\3E "
      case _ where scalar.properties.generalCategory == .control: quoted += " "
      default: quoted.unicodeScalars.append(scalar)
      }
    }
    return quoted + "\""
  }

  /// `html` with ``pageStyle(paper:title:)`` added last in its head (so it wins over the
  /// template's own rules), or at its start when it has no `</head>`.
  static func withPageStyle(_ html: String, paper: Paper, title: String) -> String {
    let style = pageStyle(paper: paper, title: title)
    guard let head = html.range(of: "</head>", options: .caseInsensitive) else { return style + "\n" + html }
    return html.replacingCharacters(in: head, with: style + "\n</head>")
  }

  /// Converts a self-contained HTML page to PDF on `paper`, with `title` in a running header and
  /// page numbers in a running footer (``pageStyle(paper:title:)``).
  ///
  /// - Parameters:
  ///   - html: The page.
  ///   - paper: The paper size.
  ///   - title: The running header's text, the consultation's title.
  /// - Returns: The PDF bytes.
  /// - Throws: ``InputError`` when Chromium fails or writes no PDF.
  func convert(html: String, paper: Paper, title: String) throws -> Data {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "consult-pdf-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let page = directory.appendingPathComponent("summary.html")
    let pdf = directory.appendingPathComponent("summary.pdf")
    try Data(Self.withPageStyle(html, paper: paper, title: title).utf8).write(to: page)
    let process = Process()
    process.executableURL = executable
    process.arguments =
      [
        "--headless", "--disable-gpu", "--user-data-dir=\(directory.appendingPathComponent("profile").path)",
        "--no-pdf-header-footer", "--print-to-pdf-no-header", "--print-to-pdf=\(pdf.path)",
      ] + (geteuid() == 0 ? ["--no-sandbox"] : []) + [page.absoluteString]
    let log = Pipe()
    process.standardOutput = log
    process.standardError = log
    do {
      try process.run()
    } catch {
      throw InputError(message: "\(executable.path): cannot run: \(error.localizedDescription)")
    }
    let output = log.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0, let data = FileManager.default.contents(atPath: pdf.path), !data.isEmpty
    else {
      let detail = String(decoding: output, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: "\n")
      throw InputError(
        message: "\(executable.path) did not print the PDF (exit \(process.terminationStatus)): \(detail)")
    }
    return data
  }
}
