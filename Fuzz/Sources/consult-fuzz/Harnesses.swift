import ConsultCore
import ConsultImport
import Foundation

/// The harnesses, by the name `CONSULT_FUZZ_TARGET` gives. Each takes one fuzzer input and drives
/// a public parse entry point with it; any error the parser documents (``ImportError``,
/// ``WorkflowError``, ``GuardError``) is an expected outcome, anything else — a trap, an
/// uncaught error, a record breaking the parser's own promises — is a finding.
enum Harness: String, CaseIterable {
  /// The CSV reader, through a mapped-CSV import (`id`, `text` columns): first byte picks the
  /// delimiter and encoding, the rest is the file.
  case csv
  /// A `csv` import with its YAML mapping: mapping, a line `---csv---`, then the file.
  case mappedCSV = "mapped-csv"
  /// regulations.gov: the docket export CSV, a line `---texts---`, then the text-comments CSV;
  /// both written to a directory that ``RegulationsGovSource/locate(_:texts:)`` searches.
  case regulationsGov = "regulations-gov"
  /// Have Your Say feedback JSON.
  case haveYourSay = "have-your-say"
  /// Decidim's open-data comments CSV (`;`).
  case decidim
  /// Polis `comments.csv` in a conversation folder.
  case polis
  /// A workflow definition file (YAML), as `consult workflow validate` loads it.
  case workflow
  /// A guard expression, for each entity kind.
  case `guard`
  /// The output rules (``OutputText``): what they promise holds for any text.
  case outputText = "output-text"
}

/// A scratch folder of this process for the files the import harnesses read.
let scratch: URL = {
  let base = ProcessInfo.processInfo.environment["CONSULT_FUZZ_SCRATCH"] ?? NSTemporaryDirectory()
  let url = URL(fileURLWithPath: base).appendingPathComponent(
    "consult-fuzz-\(ProcessInfo.processInfo.processIdentifier)")
  try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}()

/// The input split at the first line `marker` (its line break included): before, after (nil
/// when the marker is absent).
func split(_ data: Data, at marker: String) -> (Data, Data?) {
  guard let range = data.range(of: Data("\n\(marker)\n".utf8)) else { return (data, nil) }
  return (data.subdata(in: data.startIndex..<range.lowerBound), data.subdata(in: range.upperBound..<data.endIndex))
}

/// Writes `data` to `name` in the scratch folder.
func file(_ name: String, _ data: Data) -> URL {
  let url = scratch.appendingPathComponent(name)
  try! data.write(to: url)
  return url
}

/// Reads every record of `source`, passing over invalid ones, and checks what each valid record
/// promises: an id, a text that is not blank, holds no NUL and is within the one size limit.
func drain(_ source: some SubmissionSource) {
  do {
    try source.read(
      invalid: { _ in },
      { record in
        precondition(!record.sourceID.isEmpty, "a record without an id")
        if let text = record.text {
          precondition(!text.utf8.contains(0), "a NUL byte in a record's text")
          precondition(text.utf8.count <= ContributionText.maxBytes, "a text over the limit")
        }
      })
  } catch is ImportError {
  } catch {
    fatalError("\(source.format): an error that is not an ImportError: \(error)")
  }
}

/// Runs `harness` on one input.
func run(_ harness: Harness, _ data: Data) {
  switch harness {
  case .csv:
    guard let selector = data.first else { return }
    let delimiters: [UInt8] = [0x2C, 0x3B, 0x09, 0x7C]  // , ; tab |
    let mapping = CSVMapping(id: "id", text: "text", delimiter: delimiters[Int(selector & 3)])
    let encoding: SourceEncoding = selector & 4 == 0 ? .utf8 : .windows1252
    drain(MappedCSVSource(file("rows.csv", data.dropFirst()), mapping: mapping, encoding: encoding))
  case .mappedCSV:
    let (yaml, csv) = split(data, at: "---csv---")
    guard let mapping = try? CSVMapping.parse(String(decoding: yaml, as: UTF8.self), file: "mapping.yaml") else {
      return
    }
    drain(MappedCSVSource(file("responses.csv", csv ?? Data()), mapping: mapping))
  case .regulationsGov:
    let (docket, texts) = split(data, at: "---texts---")
    let folder = scratch.appendingPathComponent("docket")
    try? FileManager.default.removeItem(at: folder)
    try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try! docket.write(to: folder.appendingPathComponent("docket.csv"))
    if let texts { try! texts.write(to: folder.appendingPathComponent("texts.csv")) }
    guard let source = try? RegulationsGovSource.locate(folder) else { return }
    drain(source)
  case .haveYourSay:
    drain(HaveYourSaySource(file("feedback.json", data)))
  case .decidim:
    drain(DecidimSource(file("comments.csv", data)))
  case .polis:
    let folder = scratch.appendingPathComponent("conversation")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try! data.write(to: folder.appendingPathComponent("comments.csv"))
    drain(PolisSource(folder))
  case .workflow:
    do {
      let definition = try WorkflowDefinition.parse(yaml: String(decoding: data, as: UTF8.self), file: "fuzz.yaml")
      _ = String(describing: definition)
    } catch {
      _ = error.description
    }
  case .outputText:
    let text = String(decoding: data, as: UTF8.self)
    let shown = OutputText.terminal(text)
    precondition(
      !shown.unicodeScalars.contains {
        ($0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t") || OutputText.isBidiControl($0)
      }, "a control or bidi character reaches the terminal")
    let cell = OutputText.csvCell(text)
    precondition(
      !(cell.unicodeScalars.first.map(OutputText.formulaStarts.contains) ?? false), "a cell starts a formula")
    precondition(!cell.unicodeScalars.contains(where: OutputText.isForbiddenControl), "a control in a cell")
    precondition(cell.hasSuffix(OutputText.withoutControls(text)), "a cell lost text")
  case .guard:
    let text = String(decoding: data, as: UTF8.self)
    for kind in EntityKind.allCases {
      do {
        let expression = try GuardExpression.parse(text, for: kind)
        // What a guard prints (in messages and diagrams) reads back as the same guard.
        let again = try GuardExpression.parse(expression.description, for: kind)
        precondition(again == expression, "'\(expression)' reads back as '\(again)'")
      } catch {
        _ = error.description
      }
    }
  }
}
