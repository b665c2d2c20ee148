import Foundation
import Testing

/// Whether pandoc is installed (the Word round trip needs it; tests skip only without it).
private let pandocInstalled: Bool = {
  let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
  return directories.contains { FileManager.default.isExecutableFile(atPath: "\($0)/pandoc") }
}()

/// `consult draft …` from the command line: a consultation with one co-hosted workshop, its draft
/// revised, commented on, diffed, signed off, and carried through Word.
@Suite("consult draft")
struct DraftCommandTests {
  static let text = """
    # Introduction {#intro}

    Security policy must meet threats in cyberspace as it meets those on land, at sea and in the air.

    ## Norms in cyberspace {#norms}

    The government will press for a global, inclusive dialogue on norms of responsible state behaviour [#1].

    - norms of responsible state behaviour
    - confidence-building measures

    | Level | Measure |
    |---|---|
    | policy | dialogue |

    Capacity building matters too.[^1]

    [^1]: As the workshop heard.

    ## Capacity building

    Capacity building should be coordinated internationally.
    """

  /// A migrated database with consultation `wp` (two hosts), one contribution and a draft.
  static func drafted(_ directory: URL) throws -> CLI {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "wp", "--workflow", "white-paper", "--title", "White Paper", "--at", "2015-02-17"])
    try cli.ok([
      "stakeholder", "add", "host", "--kind", "organisation", "--name", "Host Ministry", "--group", "ministries",
    ])
    try cli.ok([
      "stakeholder", "add", "bmvg", "--kind", "organisation", "--name", "Defence Ministry", "--group", "ministries",
    ])
    try cli.ok(["stakeholder", "add", "expert", "--name", "An expert", "--group", "academia"])
    try cli.ok([
      "workshop", "add", "wp", "ws", "--title", "Workshop", "--starts", "2015-09-17T09:30", "--ends",
      "2015-09-17T17:00", "--time-zone", "Europe/Berlin", "--host", "host", "--at", "2015-07-01",
    ])
    try cli.ok(["contribute", "wp", "--stakeholder", "expert", "--text", "Norms first.", "--at", "2015-07-02"])
    let file = directory.appendingPathComponent("draft.md")
    try Data(text.utf8).write(to: file)
    let started = try cli.ok(["draft", "new", "wp", file.path, "--title", "White Paper draft"])
    #expect(started.stdout == "Started the draft of wp: revision 1, 3 sections (drafting)\n")
    return cli
  }

  @Test func commentsDecisionsSignOffAndExports() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consult-draft-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let cli = try Self.drafted(directory)
    let shown = try cli.ok(["draft", "show", "wp"]).stdout
    #expect(shown.contains("missing:  host"))
    #expect(shown.contains("capacity-building (derived)"))
    let json = try cli.ok(["draft", "show", "wp", "--json"]).stdout
    #expect(json.contains("\"content_hash\""))
    #expect(json.contains("\"missing\" : [\n      \"host\"\n    ]"))
    let comment = try cli.ok([
      "draft", "comment", "wp", "--revision", "1", "--section", "norms", "--quote", "a global, inclusive dialogue",
      "--stakeholder", "expert", "--type", "technical", "--text", "Name the forum.", "--proposed-change", "in the UN",
    ])
    #expect(comment.stdout == "Recorded comment c1 on norms, line 7 of revision 1 (open)\n")
    let wrongSection = try cli.run([
      "draft", "comment", "wp", "--revision", "1", "--section", "nroms", "--stakeholder", "expert", "--type",
      "general", "--text", "x",
    ])
    #expect(wrongSection.status == 1)
    #expect(wrongSection.stderr.contains("did you mean 'norms'?") || wrongSection.stderr.contains("'norms'"))
    try cli.ok(["draft", "approve", "wp", "--revision", "1", "--stakeholder", "host"])
    let revised = directory.appendingPathComponent("draft2.md")
    try Data(
      Self.text.replacingOccurrences(of: "global, inclusive dialogue", with: "global and inclusive dialogue in the UN")
        .utf8
    )
    .write(to: revised)
    let revise = try cli.ok(["draft", "revise", "wp", revised.path])
    #expect(revise.stdout == "Saved revision 2 of the draft of wp\nVoided the approvals of revision 1 by host\n")
    let comments = try cli.ok(["draft", "comments", "wp"]).stdout
    #expect(comments.contains("now fuzzy in norms"))
    try cli.ok(["draft", "decide", "wp", "c1", "accept", "--response", "Named the UN.", "--revision", "2"])
    let diff = try cli.ok(["draft", "diff", "wp", "1", "2"]).stdout
    #expect(diff.contains("{--global,--}{++global++} {++and ++}inclusive"))
    #expect(diff.contains("Sections: 1 changed."))
    let html = try cli.ok(["draft", "diff", "wp", "1", "2", "--format", "html"]).stdout
    #expect(html.contains("<ins>and </ins>"))
    for format in ["csv", "markdown", "html"] {
      let matrix = try cli.ok(["draft", "matrix", "wp", "--format", format]).stdout
      #expect(matrix.contains("Named the UN."), "\(format)")
      #expect(matrix.contains("An expert"), "\(format)")
    }
    let notAnApprover = try cli.run(["draft", "approve", "wp", "--revision", "2", "--stakeholder", "bmvg"])
    #expect(notAnApprover.status == 1, "\(notAnApprover.stdout)")
    let final = try cli.ok(["draft", "approve", "wp", "--revision", "2", "--stakeholder", "host"])
    #expect(final.stdout.hasSuffix("Final: every approver approved revision 2.\n"))
    let exported = try cli.ok(["draft", "export", "wp"]).stdout
    #expect(
      exported.contains("## Sources {#sources}\n\n### Norms in cyberspace\n\n- [#1] written submission, An expert"))
    #expect(try cli.ok(["log", "verify", "wp"]).stdout.hasPrefix("ok:"))
    let refused = try cli.run(["draft", "revise", "wp", revised.path])
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("is 'final'"))
  }

  @Test func aWorkflowWithoutDraftingRefusesAndBadAnchorsNameTheLine() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consult-draft-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "docket", "--workflow", "notice-and-comment", "--title", "Docket"])
    let file = directory.appendingPathComponent("paper.md")
    try Data("# One\n\ntext\n\n## Two {#Bad}\n".utf8).write(to: file)
    let bad = try cli.run(["draft", "new", "docket", file.path, "--title", "Paper"])
    #expect(bad.status == 1)
    #expect(bad.stderr.contains("\(file.path):5: anchor '{#Bad}' must be lower-case"))
    try Data("# One\n\ntext\n".utf8).write(to: file)
    let refused = try cli.run(["draft", "new", "docket", file.path, "--title", "Paper"])
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("which has no draft machine"))
  }

  @Test(.enabled(if: pandocInstalled, "needs pandoc")) func wordRoundTripKeepsStructureAndAnchors() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consult-draft-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let cli = try Self.drafted(directory)
    let word = directory.appendingPathComponent("draft.docx")
    try cli.ok(["draft", "export", "wp", "--format", "docx", "--without-sources", "--output", word.path])
    #expect(FileManager.default.fileExists(atPath: word.path))
    // Read back unedited, it is the latest revision, not a new one.
    let unedited = try cli.run(["draft", "revise", "wp", word.path])
    #expect(unedited.status == 1)
    #expect(unedited.stderr.contains("as Word gives it back, unedited"), "\(unedited.stderr)")
    // An edit made in Word (a phrase of the text changed inside the .docx).
    let edit = Process()
    edit.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    edit.arguments = [
      "python3", "-c",
      """
      import sys, zipfile
      with zipfile.ZipFile(sys.argv[1]) as z: parts = {n: z.read(n) for n in z.namelist()}
      xml = parts["word/document.xml"].decode()
      assert "should be coordinated" in xml
      parts["word/document.xml"] = xml.replace("should be coordinated", "should be well coordinated").encode()
      with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
          [z.writestr(n, d) for n, d in parts.items()]
      """, word.path,
    ]
    try edit.run()
    edit.waitUntilExit()
    #expect(edit.terminationStatus == 0)
    try cli.ok(["draft", "revise", "wp", word.path])
    let back = try cli.ok(["draft", "export", "wp", "--revision", "2", "--without-sources"]).stdout
    #expect(back.contains("# Introduction {#intro}"))
    #expect(back.contains("## Norms in cyberspace {#norms}"))
    #expect(back.contains("## Capacity building\n"))
    #expect(back.contains("norms of responsible state behaviour [#1]."))
    #expect(
      back.contains("-   norms of responsible state behaviour")
        || back.contains("- norms of responsible state behaviour"))
    #expect(back.contains("| policy"))
    #expect(back.contains("[^1]: As the workshop heard."))
    #expect(back.contains("should be well coordinated"))
    // Same sections: only the edited one changed.
    let diff = try cli.ok(["draft", "diff", "wp", "1", "2"]).stdout
    #expect(!diff.contains("added") && !diff.contains("removed") && !diff.contains("moved"), "\(diff)")
    let matrix = directory.appendingPathComponent("matrix.docx")
    try cli.ok(["draft", "matrix", "wp", "--format", "docx", "--output", matrix.path])
    let bytes = try Data(contentsOf: matrix)
    #expect(bytes.starts(with: Array("PK".utf8)))
    let html = try cli.ok(["draft", "export", "wp", "--format", "html"]).stdout
    #expect(html.contains("id=\"norms\""))
  }

  @Test func missingPandocIsExplained() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consult-draft-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let cli = try Self.drafted(directory)
    let missing = try cli.run(
      ["draft", "export", "wp", "--format", "docx"], environment: ["CONSULT_PANDOC": "/nonexistent/pandoc"])
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("CONSULT_PANDOC=/nonexistent/pandoc is not an executable file"))
    let noPath = try cli.run(["draft", "matrix", "wp", "--format", "docx"], environment: ["PATH": "/nonexistent"])
    #expect(noPath.status == 1)
    #expect(noPath.stderr.contains("needs pandoc"))
    #expect(noPath.stderr.contains("apt-get install pandoc"))
  }
}
