import ArgumentParser
import ConsultExport
import ConsultStore
import Foundation

struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Export what a consultation publishes.", subcommands: [ExportSummary.self])

  enum Format: String, ExpressibleByArgument, CaseIterable {
    case markdown
  }

  struct ExportSummary: StoreCommand {
    static let configuration = CommandConfiguration(
      commandName: "summary",
      abstract: "Export the proceedings summary (attribution rules applied: Chatham House Rule, consent levels).")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "Output format: markdown.") var format: Format = .markdown
    @Option(name: [.short, .long], help: "Write to FILE (default: standard output); prints the path.") var output:
      String?
    @Option(help: "A Mustache template of your own instead of the shipped one.") var template: String?
    func execute(_ store: ConsultStore, actor: String) throws {
      let data = try store.proceedings(of: consultation)
      let exporter = try MarkdownExporter(template: template.map(readText))
      let text = exporter.render(data)
      guard let output else {
        FileHandle.standardOutput.write(Data(text.utf8))
        return
      }
      let url = URL(fileURLWithPath: output)
      do {
        try FileManager.default.createDirectory(
          at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url, options: .atomic)
      } catch {
        throw InputError(message: "\(output): cannot write: \(error.localizedDescription)")
      }
      print(url.standardizedFileURL.path)
    }
  }
}
