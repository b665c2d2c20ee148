import Foundation
import Testing

/// Whether pandoc is installed (HTML and Word exports need it; those checks skip only without it).
private let pandocAvailable: Bool = {
  let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
  return directories.contains { FileManager.default.isExecutableFile(atPath: "\($0)/pandoc") }
}()

/// What a security review found in the drafting commands: a draft, a stakeholder's name or a
/// comment written to attack whoever opens an export or reads the terminal; oversized input.
@Suite("consult draft: output safe for its reader, input of bounded size")
struct DraftOutputSafetyTests {
  /// A stakeholder name that clears the screen and turns the terminal red.
  static let evilName = "X\u{1b}[2J\u{1b}[31mEvil"

  /// A revision written to attack: script, event handlers, javascript: links and images, raw
  /// attributes, an escape sequence; next to links that may stay.
  static func hostile(citing comment: Bool) -> String {
    """
    # Scope {#scope onclick="alert(0)"}

    <script>alert(1)</script> [click](javascript:alert(document.domain)) ![pic](javascript:alert(2))
    [ref][evil] `<img src=x onerror=alert(3)>`{=html} [x](https://example.org){onmouseover="alert(4)"}
    Terminal \u{1b}[2J attack.\(comment ? " As commented [c1]." : "")

    [evil]: javascript:alert(5)

    ## Links {#links}

    See [the scope](#scope), [the site](https://example.org/a) and [mail](mailto:a@example.org).[^1]

    [^1]: As the workshop heard.
    """
  }

  /// Whether `text` carries a control character other than tab and line feed.
  static func hasControl(_ text: String) -> Bool {
    text.unicodeScalars.contains {
      ($0.value < 0x20 && $0 != "\t" && $0 != "\n") || (0x7F...0x9F).contains($0.value)
    }
  }

  /// The `href` and `src` values in `html`.
  static func destinations(in html: String) -> [String] {
    let pattern = try! NSRegularExpression(pattern: "\\b(?:href|src)=\"([^\"]*)\"")
    return pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)).compactMap {
      Range($0.range(at: 1), in: html).map { String(html[$0]) }
    }
  }

  /// Checks an HTML document: no script, no event handler, no link but http(s), mailto and #anchor.
  static func expectSafeHTML(_ html: String, _ what: String) {
    #expect(!html.lowercased().contains("<script"), "\(what): \(html)")
    #expect(!html.lowercased().contains("<img src=\"x\""), "\(what)")
    // An event handler inside a tag (text is escaped, so every `<` opens a tag).
    #expect(html.range(of: #"<[^>]*\son[a-z]+\s*="#, options: .regularExpression) == nil, "\(what): \(html)")
    let links = destinations(in: html)
    #expect(
      links.allSatisfy { ["http://", "https://", "mailto:", "#"].contains(where: $0.lowercased().hasPrefix) },
      "\(what): \(links)")
    #expect(!hasControl(html), "\(what)")
  }

  /// A consultation `wp` with a hostile draft in two revisions, a comment by a stakeholder whose
  /// name holds terminal escapes, the second revision citing it.
  static func hostileDraft(_ directory: URL) throws -> CLI {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "wp", "--workflow", "white-paper", "--title", "White Paper", "--at", "2015-02-17"])
    try cli.ok(["stakeholder", "add", "evil", "--name", evilName, "--group", "academia"])
    let first = directory.appendingPathComponent("draft.md")
    try Data(hostile(citing: false).utf8).write(to: first)
    try cli.ok(["draft", "new", "wp", first.path, "--title", "Paper \u{1b}]0;owned\u{07}"])
    try cli.ok([
      "draft", "comment", "wp", "--revision", "1", "--section", "links", "--quote", "See [the scope](#scope)",
      "--stakeholder", "evil", "--type", "general", "--text", "Look \u{1b}[31m<script>alert(6)</script>",
      "--proposed-change", "[go](javascript:alert(7))",
    ])
    let second = directory.appendingPathComponent("draft2.md")
    try Data(hostile(citing: true).replacingOccurrences(of: "the site", with: "our site").utf8).write(to: second)
    try cli.ok(["draft", "revise", "wp", second.path])
    return cli
  }

  @Test func markdownExportsCarryNoRawHTMLNoUnsafeLinkNoControl() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consult-draft-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let cli = try Self.hostileDraft(directory)
    let exported = try cli.ok(["draft", "export", "wp"]).stdout
    let plain = try cli.ok(["draft", "export", "wp", "--without-sources"]).stdout
    let diff = try cli.ok(["draft", "diff", "wp", "1", "2"]).stdout
    let matrix = try cli.ok(["draft", "matrix", "wp", "--format", "markdown"]).stdout
    for (what, text) in [("export", exported), ("export --without-sources", plain), ("diff", diff), ("matrix", matrix)]
    {
      #expect(!text.contains("<"), "\(what): \(text)")
      #expect(!text.contains("](javascript:"), "\(what)")
      #expect(!Self.hasControl(text), "\(what)")
    }
    #expect(exported.contains("&lt;script>alert(1)&lt;/script>"))
    #expect(exported.contains("[click]\\(javascript:alert(document.domain))"))
    #expect(exported.contains("[evil]\\: javascript:alert(5)"))
    #expect(exported.contains("[the scope](#scope), [our site](https://example.org/a)"))
    #expect(exported.contains("[^1]: As the workshop heard."))
    #expect(exported.contains("X\u{FFFD}[2J\u{FFFD}[31mEvil"), "\(exported)")
    #expect(matrix.contains("[go]\\(javascript:alert(7))"))
    let csv = try cli.ok(["draft", "matrix", "wp", "--format", "csv"]).stdout
    #expect(!Self.hasControl(csv.replacingOccurrences(of: "\r\n", with: "\n")))
    // On the terminal, escapes are shown, not obeyed.
    let comments = try cli.ok(["draft", "comments", "wp"]).stdout
    #expect(!comments.contains("\u{1b}") && comments.contains("<U+001B>[31m"))
    let shown = try cli.ok(["draft", "show", "wp"]).stdout
    #expect(!Self.hasControl(shown))
  }

  @Test(.enabled(if: pandocAvailable, "needs pandoc")) func htmlAndWordExportsCarryNoScriptNoUnsafeLink() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consult-draft-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let cli = try Self.hostileDraft(directory)
    let html = try cli.ok(["draft", "export", "wp", "--format", "html"]).stdout
    Self.expectSafeHTML(html, "export html")
    #expect(Self.destinations(in: html).contains("https://example.org/a"))
    #expect(Self.destinations(in: html).contains("#scope"))
    #expect(html.contains("id=\"scope\""))
    Self.expectSafeHTML(try cli.ok(["draft", "diff", "wp", "1", "2", "--format", "html"]).stdout, "diff html")
    Self.expectSafeHTML(try cli.ok(["draft", "matrix", "wp", "--format", "html"]).stdout, "matrix html")
    for (command, name) in [
      (["draft", "export", "wp", "--format", "docx"], "export"),
      (["draft", "matrix", "wp", "--format", "docx"], "matrix"),
    ] {
      let word = directory.appendingPathComponent("\(name).docx")
      try cli.ok(command + ["--output", word.path])
      let unzip = Process()
      unzip.executableURL = URL(fileURLWithPath: "/usr/bin/unzip")
      unzip.arguments = ["-p", word.path]
      let out = Pipe()
      unzip.standardOutput = out
      try unzip.run()
      let xml = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      unzip.waitUntilExit()
      #expect(xml.contains("w:document"), "\(name)")
      #expect(!xml.contains("Target=\"javascript:"), "\(name)")
      #expect(!xml.lowercased().contains("<script"), "\(name)")
      #expect(!Self.hasControl(xml.replacingOccurrences(of: "\r", with: "")), "\(name)")
    }
  }

  @Test func oversizedDraftsAndStakeholderNamesAreRefusedNamingWhat() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consult-draft-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "wp", "--workflow", "white-paper", "--title", "White Paper", "--at", "2015-02-17"])
    let big = directory.appendingPathComponent("big.md")
    let paragraph = String(repeating: "The government will press for dialogue. ", count: 25) + "\n\n"
    try Data(("# Big\n\n" + String(repeating: paragraph, count: 1_100)).utf8).write(to: big)
    let refused = try cli.run(["draft", "new", "wp", big.path, "--title", "Big"])
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("\(big.path): is 1,102,207 bytes long"), "\(refused.stderr)")
    #expect(refused.stderr.contains("a draft may be at most 1,000,000 bytes"))
    let piped = try cli.run(
      ["draft", "new", "wp", "-", "--title", "Big"], input: "# Big\n\n" + String(repeating: paragraph, count: 1_100))
    #expect(piped.status == 1)
    #expect(piped.stderr.contains("standard input: is "))
    #expect(try cli.run(["draft", "show", "wp"]).status != 0, "nothing recorded")
    let longName = String(repeating: "N", count: 120_000)
    let name = try cli.run(["stakeholder", "add", "long", "--name", longName, "--group", "academia"])
    #expect(name.status == 1)
    #expect(name.stderr.contains("the stakeholder's name is 120,000 characters long; a name may be at most 300"))
    try cli.ok(["stakeholder", "add", "long", "--name", String(repeating: "N", count: 300), "--group", "academia"])
  }
}
