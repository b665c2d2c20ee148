import Foundation
import Testing

/// Every shipped workflow (and a user's workflow declaring only its consultation machine) runs the
/// main job from the command line: open, record by hand, import real comments, export every format.
@Suite("Workflow × export format matrix")
struct WorkflowMatrixTests {
  /// The repository's top folder, from this file's path.
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// `../shared/realdata` beside the project (CI has it).
  static let realdata = root.deletingLastPathComponent().appendingPathComponent("shared/realdata")

  /// A user's workflow that declares only the consultation's phases.
  static let phasesOnly = """
    workflow: phases-only
    version: 1
    title: Phases only
    machines:
      consultation:
        initial: open
        states:
          open: {}
          closed: { final: true }
        transitions:
          - { event: close, from: open, to: closed }
    """

  /// Every workflow file shipped in `Workflows/`, by path, plus the phases-only one.
  static func workflows(in scratch: URL) throws -> [String] {
    let shipped = try FileManager.default.contentsOfDirectory(
      at: root.appendingPathComponent("Workflows"), includingPropertiesForKeys: nil
    )
    .filter { $0.pathExtension == "yaml" }.map(\.path).sorted()
    let user = scratch.appendingPathComponent("phases-only.yaml")
    try Data(phasesOnly.utf8).write(to: user)
    return shipped + [user.path]
  }

  /// The export commands, each with the check its output must pass.
  static let exports: [(arguments: [String], check: @Sendable (String) throws -> Void)] = [
    (["export", "summary", "--format", "markdown"], { #expect($0.hasPrefix("# ")) }),
    (["export", "summary", "--format", "html"], { #expect($0.contains("</html>")) }),
    (["export", "summary", "--format", "json"], { _ = try JSONSerialization.jsonObject(with: Data($0.utf8)) }),
    (["export", "contributions", "--format", "csv"], { #expect($0.hasPrefix("id,")) }),
    (["export", "contributions", "--format", "json"], { _ = try JSONSerialization.jsonObject(with: Data($0.utf8)) }),
    (["export", "attendance", "--format", "csv"], { #expect(!$0.isEmpty) }),
    (["export", "attendance", "--format", "json"], { _ = try JSONSerialization.jsonObject(with: Data($0.utf8)) }),
    (["export", "calendar", "--format", "ics"], { #expect($0.hasPrefix("BEGIN:VCALENDAR\r\n")) }),
  ]

  /// Runs every export of `slug` and checks each output; PDF too when Chromium is installed, else
  /// the clear message that it is not.
  static func exportEverything(_ cli: CLI, _ slug: String, context: String) throws {
    for (arguments, check) in exports {
      var full = arguments
      full.insert(slug, at: 2)
      let outcome = try cli.run(full)
      #expect(outcome.status == 0, "\(context): consult \(full.joined(separator: " ")): \(outcome.stderr)")
      if outcome.status == 0 { try check(outcome.stdout) }
    }
    let pdf = FileManager.default.temporaryDirectory.appendingPathComponent("consult-\(UUID()).pdf")
    defer { try? FileManager.default.removeItem(at: pdf) }
    let printed = try cli.run(["export", "summary", slug, "--format", "pdf", "--output", pdf.path])
    if printed.status == 0 {
      let head = try FileHandle(forReadingFrom: pdf).readData(ofLength: 5)
      #expect(head == Data("%PDF-".utf8), "\(context): not a PDF")
    } else {
      #expect(printed.stderr.contains("Chromium"), "\(context): \(printed.stderr)")
    }
    for read in [["show", slug], ["show", slug, "--json"], ["log", slug], ["contributions", "list", slug]] {
      let outcome = try cli.run(read)
      #expect(outcome.status == 0, "\(context): consult \(read.joined(separator: " ")): \(outcome.stderr)")
    }
  }

  @Test("every workflow × (empty, recorded and imported) × every export format")
  func matrix() throws {
    let regulations = Self.realdata.appendingPathComponent("regulations-gov-usda-2017-0002")
    let polis = Self.realdata.appendingPathComponent("polis/austria-climate.5twd2jsnkf.2022-08-08")
    try #require(
      FileManager.default.fileExists(atPath: regulations.path), "../shared/realdata is missing (CI has it)")
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("consult-matrix-\(UUID())")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    for (index, workflow) in try Self.workflows(in: scratch).enumerated() {
      let name = URL(fileURLWithPath: workflow).deletingPathExtension().lastPathComponent
      let empty = "empty-\(index)"
      try cli.ok(["open", empty, "--title", "Empty \(name)", "--workflow", workflow])
      try Self.exportEverything(cli, empty, context: "\(name), empty")

      let full = "full-\(index)"
      try cli.ok(["open", full, "--title", "Comments on \(name)", "--workflow", workflow])
      try cli.ok(["contribute", full, "--text", "A comment recorded by hand."])
      let imported = try cli.ok(["contributions", "import", full, regulations.path, "--format", "regulations-gov"])
      #expect(imported.stdout.contains("199 new written submissions"), "\(name): \(imported.stdout)")
      try cli.ok(["contributions", "import", full, polis.path, "--format", "polis", "--language", "de"])
      try Self.exportEverything(cli, full, context: "\(name), imported")
      let csv = try cli.ok(["export", "contributions", full, "--format", "csv"]).stdout
      #expect(csv.contains("A comment recorded by hand."), "\(name): the hand-recorded comment is exported")
    }
  }

  @Test("a workflow without workshops refuses a workshop saying which machines it declares")
  func undeclaredMachineRefused() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "rule", "--title", "Proposed rule", "--workflow", "notice-and-comment"])
    let refused = try cli.run([
      "workshop", "add", "rule", "hearing", "--title", "Hearing", "--starts", "2026-01-01T10:00", "--ends",
      "2026-01-01T12:00", "--time-zone", "UTC",
    ])
    #expect(refused.status == 1)
    #expect(
      refused.stderr.contains(
        "follows workflow 'notice-and-comment', which has no workshop machine (it declares: consultation, "
          + "contribution, proceedings-summary), so it records no workshops"), "\(refused.stderr)")
  }
}
