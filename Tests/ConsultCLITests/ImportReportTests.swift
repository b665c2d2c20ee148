import Foundation
import Testing

/// What `consult contributions import` tells its user about new, unchanged and changed records.
@Suite("Import reports on the command line")
struct ImportReportTests {
  /// A migrated database with consultation `c`, a scratch directory (the caller removes it), a
  /// mapping naming columns `Ref` and `Comment`, and the path of the CSV file to write there.
  static func consultationWithMapping() throws -> (CLI, URL, URL, URL) {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "c", "--title", "Comments"])
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consult-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let mapping = directory.appendingPathComponent("m.yaml")
    try Data("id: Ref\ntext: Comment\n".utf8).write(to: mapping)
    return (cli, directory, mapping, directory.appendingPathComponent("r.csv"))
  }

  @Test("new / unchanged / changed counted apart; --update-changed; a header-only file says no records")
  func reports() throws {
    let (cli, directory, mapping, file) = try Self.consultationWithMapping()
    defer { try? FileManager.default.removeItem(at: directory) }
    let arguments = ["contributions", "import", "c", file.path, "--format", "csv", "--mapping", mapping.path]

    try Data("Ref,Comment\n".utf8).write(to: file)
    let empty = try cli.ok(arguments)
    #expect(empty.stdout.contains("r.csv: no records"), "\(empty.stdout)")

    try Data("Ref,Comment\n1,One\n2,Two\n".utf8).write(to: file)
    #expect(try cli.ok(arguments).stdout.contains("2 new written submissions, 0 unchanged, 0 changed"))
    try Data("Ref,Comment\n1,One\n2,Two corrected\n3,Three\n".utf8).write(to: file)
    let listed = try cli.ok(arguments).stdout
    #expect(listed.contains("1 new written submission, 1 unchanged, 1 changed"), "\(listed)")
    #expect(listed.contains("left as they were (--update-changed records the new texts): 2"), "\(listed)")
    let updated = try cli.ok(arguments + ["--update-changed"]).stdout
    #expect(updated.contains("0 new written submissions, 2 unchanged, 1 changed"), "\(updated)")
    #expect(updated.contains("recorded as new revisions"), "\(updated)")
    let log = try cli.ok(["log", "c"]).stdout
    #expect(log.contains("revise-text"), "\(log)")
    #expect(try cli.ok(["contributions", "list", "c"]).stdout.contains("Two corrected"))
  }

  @Test("a finished --resume import run again says so without reading the file")
  func finishedResume() throws {
    let (cli, directory, mapping, file) = try Self.consultationWithMapping()
    defer { try? FileManager.default.removeItem(at: directory) }
    try Data("Ref,Comment\n1,One\n2,Two\n".utf8).write(to: file)
    let arguments = [
      "contributions", "import", "c", file.path, "--format", "csv", "--mapping", mapping.path, "--resume",
    ]
    try cli.ok(arguments)
    let again = try cli.ok(arguments).stdout
    #expect(again.contains("is finished (2 records committed)"), "\(again)")
    #expect(!again.contains("committed now"), "\(again)")
  }
}
