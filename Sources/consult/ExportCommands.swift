import ArgumentParser
import ConsultExport
import ConsultStore
import Foundation

struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Export what a consultation publishes (attribution rules applied in every format).",
    subcommands: [ExportSummary.self, ExportContributions.self, ExportAttendance.self, ExportCalendar.self])

  enum Format: String, ExpressibleByArgument, CaseIterable {
    case markdown
    case html
    case json
  }

  enum TableFormat: String, ExpressibleByArgument, CaseIterable {
    case csv
    case json

    var tabular: TabularFormat { self == .csv ? .csv : .json }
  }

  enum CalendarFormat: String, ExpressibleByArgument, CaseIterable {
    case ics
  }

  /// Where an export goes: `--output FILE` (written to a temporary file next
  /// to it, then renamed, so a failed export leaves no partial file; the path
  /// is printed) or standard output.
  struct Destination {
    let output: String?
    private var handle: FileHandle
    private var temporary: URL?

    init(_ output: String?) throws {
      self.output = output
      guard let output else {
        handle = FileHandle.standardOutput
        return
      }
      let url = URL(fileURLWithPath: output)
      let temporary = url.deletingLastPathComponent().appendingPathComponent(
        ".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
      do {
        try FileManager.default.createDirectory(
          at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
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

    /// Closes the file, moves it into place and prints its path.
    func finish() throws {
      guard let output, let temporary else { return }
      let url = URL(fileURLWithPath: output)
      do {
        try handle.close()
        if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
        try FileManager.default.moveItem(at: temporary, to: url)
      } catch {
        throw InputError(message: "\(output): cannot write: \(error.localizedDescription)")
      }
      print(url.standardizedFileURL.path)
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
        json: schema consult.proceedings-summary/1 (Schema/json/proceedings-summary-1.schema.json).
        """)
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "Output format: markdown, html, json.") var format: Format = .markdown
    @Option(name: [.short, .long], help: "Write to FILE (default: standard output); prints the path.") var output:
      String?
    @Option(help: "A Mustache template of your own instead of the shipped one (markdown, html).") var template: String?
    func execute(_ store: ConsultStore, actor: String) throws {
      let data = try store.proceedings(of: consultation)
      let text: String
      switch format {
      case .markdown: text = try MarkdownExporter(template: template.map(readText)).render(data)
      case .html: text = try HTMLExporter(template: template.map(readText)).render(data)
      case .json:
        guard template == nil else { throw InputError(message: "--template applies to markdown and html only") }
        text = try SummaryJSONExporter().render(data)
      }
      try Destination.writing(to: output) { try $0.write(Data(text.utf8)) }
    }
  }

  struct ExportContributions: StoreCommand {
    static let configuration = CommandConfiguration(
      commandName: "contributions",
      abstract: "Export the publishable contributions, one row each (not-for-publication ones are omitted).",
      discussion: """
        Columns: \(ContributionsExporter.columns.joined(separator: ", ")). received_at is ISO 8601 UTC; \
        attribution is the effective consent level; attributed_to is empty when no name may be shown \
        (always under the Chatham House Rule). Rows are streamed in id order, 1,000 at a time.
        """)
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "Output format: csv, json.") var format: TableFormat = .csv
    @Option(name: [.short, .long], help: "Write to FILE (default: standard output); prints the path.") var output:
      String?
    func execute(_ store: ConsultStore, actor: String) throws {
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
    func execute(_ store: ConsultStore, actor: String) throws {
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
    func execute(_ store: ConsultStore, actor: String) throws {
      let title = try store.consultation(consultation).title
      let workshops = try store.calendarWorkshops(of: consultation)
      let text = CalendarExporter().render(workshops, consultation: consultation, title: title)
      try Destination.writing(to: output) { try $0.write(Data(text.utf8)) }
    }
  }
}
