import Foundation
import Testing

/// What `consult contributions import` tells its user when the file holds records of a person
/// erased earlier, or texts consult redacted since.
@Suite("CLI: re-import after erasure and redaction")
struct ReimportPrivacyCLITests {
  @Test("forget, redact, re-import: erased records skipped (not in --rejects), texts kept, log verify passes")
  func reimportAfterErasure() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["actor", "add", "admin"])
    try cli.ok(["open", "c", "--title", "Comments"])
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consult-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let mapping = directory.appendingPathComponent("m.yaml")
    try Data("id: Ref\ntext: Comment\nauthor: Name\nauthor-id: Author\n".utf8).write(to: mapping)
    let file = directory.appendingPathComponent("r.csv")
    let rejects = directory.appendingPathComponent("rejects.csv")
    let arguments = ["contributions", "import", "c", file.path, "--format", "csv", "--mapping", mapping.path]
    try Data("Ref,Name,Author,Comment\n1,Zed Zxzrvxmho,z1,I am Zed Zxzrvxmho.\n2,Ann Other,a2,Hello world here.\n".utf8)
      .write(to: file)
    try cli.ok(arguments)

    let stakeholders = try cli.ok(["stakeholder", "list", "--all"]).stdout
    let zed = try #require(
      stakeholders.split(separator: "\n").first { $0.contains("Zed Zxzrvxmho") }?.split(separator: "\t").first)
    try cli.ok([
      "stakeholder", "forget", String(zed), "--reason", "request", "--also", "zxzrvxmho", "--actor", "admin",
    ])
    let listed = try cli.ok(["contributions", "list", "c"]).stdout
    let ann = try #require(
      listed.split(separator: "\n").first { $0.contains("Hello world") }?.split(separator: "\t").first?.dropFirst())
    try cli.ok(["contributions", "redact", "c", String(ann), "--from", "0", "--to", "5", "--reason", "personal-data"])

    // The file now also holds a new record of the erased person and an invalid one.
    try Data(
      """
      Ref,Name,Author,Comment
      1,Zed Zxzrvxmho,z1,I am Zed Zxzrvxmho.
      2,Ann Other,a2,Hello world here.
      3,Zed Zxzrvxmho,z1,Zxzrvxmho writes again.
      4,Bea Third,b3,

      """.utf8
    ).write(to: file)
    for update in [[], ["--update-changed"]] {
      let output = try cli.ok(arguments + update + ["--skip-invalid", "--rejects", rejects.path]).stdout
      #expect(output.contains("0 new written submissions, 0 unchanged, 0 changed"), "\(output)")
      #expect(output.contains("skipped 1 record of persons erased earlier"), "\(output)")
      #expect(output.contains("2 kept as erased or redacted"), "\(output)")
      let rejected = try String(contentsOf: rejects, encoding: .utf8)
      // Only the invalid record (line 5): the erased person's is no invalid record. (Run twice:
      // the second run replaces the first one's rejects file.)
      let rows = rejected.split(whereSeparator: \.isNewline).dropFirst()
      #expect(rows.count == 1 && rows.first?.contains("r.csv,5,Comment,") == true, "\(rejected)")
      #expect(!rejected.localizedCaseInsensitiveContains("zxzrvxmho"), "\(rejected)")
      let texts = try cli.ok(["contributions", "list", "c"]).stdout
      #expect(!texts.localizedCaseInsensitiveContains("zxzrvxmho") && !texts.contains("Hello"), "\(texts)")
      let all = try cli.ok(["stakeholder", "list", "--all"]).stdout
      #expect(!all.localizedCaseInsensitiveContains("zxzrvxmho"), "\(all)")
      try cli.ok(["log", "verify", "c"])
    }
  }
}
