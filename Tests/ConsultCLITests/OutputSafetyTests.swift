import Foundation
import Testing

/// Hostile stored text — terminal escape sequences, bidirectional overrides, spreadsheet
/// formulas, raw HTML and script links, control characters — recorded through the CLI, then every
/// output read back: the terminal, CSV (read with Python's csv module), Markdown (rendered by
/// pandoc) and HTML.
@Suite("Output that cannot attack its reader")
struct OutputSafetyTests {
  /// An OSC window title, a screen clear and a colour, then C1 CSI.
  static let escapes = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{1B}[31mred\u{9B}0m"
  /// Right-to-left override, pop, isolate and marks.
  static let bidi = "\u{202E}evil\u{202C}\u{2066}x\u{2069}\u{200E}\u{200F}"

  /// Whether `text` holds a control character other than tab and LF, or a bidi control.
  static func unsafeForTerminal(_ text: String) -> [Unicode.Scalar] {
    text.unicodeScalars.filter {
      ($0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t")
        || (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value)
        || $0.value == 0x200E || $0.value == 0x200F
    }
  }

  /// A consultation full of hostile names and texts, through every command that stores text.
  static func hostileConsultation(_ cli: CLI) throws -> [String: Int] {
    let e = escapes
    try cli.ok(["db", "migrate"])
    try cli.ok(["actor", "add", "evil", "--name", "Evil \(e)\(bidi) actor"])
    try cli.ok([
      "open", "c", "--title", "Title \(e) \(bidi)", "--owner", "=cmd|' /C calc'!A0 \(e)",
      "--theme", "cyber=Cyber \(e)\(bidi)", "--actor", "evil",
    ])
    try cli.ok([
      "stakeholder", "add", "org", "--kind", "organisation", "--name", "=HYPERLINK(\"http://evil\",\"x\") \(e)",
      "--group", "civil-society",
    ])
    try cli.ok([
      "stakeholder", "add", "host", "--kind", "organisation", "--name", "Host \(bidi)", "--group", "ministries",
    ])
    try cli.ok(["stakeholder", "add", "anna", "--name", "@SUM(1+1) Anna \(e)", "--organisation", "org"])
    try cli.ok([
      "workshop", "add", "c", "ws", "--title", "Workshop \(e)\(bidi)", "--venue=-Venue \(e)", "--starts",
      "2015-09-17T09:30", "--ends", "2015-09-17T17:00", "--host", "host",
    ])
    try cli.ok(["invite", "c", "ws", "anna", "--send"])
    try cli.ok(["advance", "c", "open-participation", "--reason", "Reason \(e)\(bidi)"])
    try cli.ok(["workshop", "advance", "c", "ws", "schedule"])
    try cli.ok(["rsvp", "c", "ws", "anna", "accept"])
    try cli.ok(["workshop", "advance", "c", "ws", "hold"])
    try cli.ok(["attendance", "c", "ws", "--attended", "anna"])
    var ids: [String: Int] = [:]
    func contribute(_ name: String, _ arguments: [String]) throws {
      let out = try cli.ok(["contribute", "c", "--json"] + arguments).stdout
      let json = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
      ids[name] = try #require(json["id"] as? Int)
    }
    try contribute("formula", ["--stakeholder", "org", "--text", "=1+2 formula \(e)"])
    try contribute("tab", ["--stakeholder", "org", "--text", "\tIndented with a leading tab"])
    // A text may start with -: --text takes the next argument whatever it is.
    try contribute("minus", ["--text", "-2+3"])
    try contribute("plus", ["--text", "+cmd"])
    try contribute("at", ["--text", "@SUM(A1)"])
    try contribute("cr", ["--text", "\rCR first"])
    try contribute(
      "markup",
      [
        "--text",
        "<script>alert(1)</script> [click](javascript:alert(2)) <javascript:alert(3)> ![i](data:text/html,x) \(bidi)",
      ])
    try contribute(
      "statement",
      [
        "--workshop", "ws", "--stakeholder", "anna", "--theme", "cyber", "--text",
        "Controls \u{01}\u{02}\u{08}\u{0B}\u{0C}\u{7F} and <img src=x onerror=alert(4)> \(e)",
      ])
    try cli.ok([
      "summary", "draft", "c", "ws", "--title", "Summary \(e)", "--text",
      "We heard [#\(ids["statement"]!)]. <script>alert(5)</script> [x](javascript:alert(6)) [ok](https://example.org) \(e)\(bidi)",
    ])
    return ids
  }

  @Test("show, log, every list, search, summary show and errors print no escape sequence or bidi control")
  func terminal() throws {
    let cli = try CLI()
    _ = try Self.hostileConsultation(cli)
    let commands: [[String]] = [
      ["show", "c"], ["log", "c"], ["list"], ["theme", "list", "c"], ["stakeholder", "list"],
      ["stakeholder", "list", "--all"], ["stakeholder", "groups"], ["workshop", "list", "c"], ["actor", "list"],
      ["contributions", "list", "c"], ["contributions", "search", "c", "formula"],
      ["contributions", "search", "c", "controls"], ["contributions", "campaigns", "c"],
      ["summary", "show", "c", "ws"],
      ["invitation", "list", "c", "ws"], ["log", "check", "c"], ["log", "verify", "c"],
    ]
    var seen = ""
    for command in commands {
      let outcome = try cli.ok(command)
      for (stream, text) in [("stdout", outcome.stdout), ("stderr", outcome.stderr)] {
        #expect(Self.unsafeForTerminal(text).isEmpty, "consult \(command.joined(separator: " ")) \(stream): \(text)")
      }
      seen += outcome.stdout
    }
    // The hostile characters are shown, escaped, not dropped.
    #expect(seen.contains("<U+001B>]0;pwned<U+0007><U+001B>[2J"), "\(seen)")
    #expect(seen.contains("<U+202E>evil<U+202C>"), "\(seen)")
    #expect(seen.contains("Reason <U+001B>"), "the log's reason: \(seen)")

    // Errors that quote stored or imported text: an import refused for a date holding escapes.
    let directory = try Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let csv = directory.appendingPathComponent("r.csv")
    let mapping = directory.appendingPathComponent("m.yaml")
    try Data("id: Ref\ntext: Comment\ndate: When\n".utf8).write(to: mapping)
    try Data("Ref,Comment,When\n1,Fine,\"\(Self.escapes)\(Self.bidi)\"\n".utf8).write(to: csv)
    let refused = try cli.run(["contributions", "import", "c", csv.path, "--format", "csv", "--mapping", mapping.path])
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("<U+001B>"), "\(refused.stderr)")
    #expect(Self.unsafeForTerminal(refused.stderr + refused.stdout).isEmpty, "\(refused.stderr)")
  }

  @Test("CSV exports and rejects files, read with Python's csv module: no cell starts a formula or holds a control")
  func csv() throws {
    let cli = try CLI()
    let ids = try Self.hostileConsultation(cli)
    let directory = try Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let contributions = directory.appendingPathComponent("contributions.csv")
    let attendance = directory.appendingPathComponent("attendance.csv")
    let rejects = directory.appendingPathComponent("rejects.csv")
    // A rejects file whose columns and reasons quote the file: a column named like a formula.
    let csv = directory.appendingPathComponent("r.csv")
    let mapping = directory.appendingPathComponent("m.yaml")
    try Data("id: \"=Ref\"\ntext: \"@Comment\"\ndate: \"-When\"\n".utf8).write(to: mapping)
    try Data("=Ref,@Comment,-When\n1,\"=2+3\",2020-01-01\n2,Fine,\"+1 \(Self.escapes)\"\n3,\"\",2020-01-01\n".utf8)
      .write(to: csv)
    try cli.ok([
      "contributions", "import", "c", csv.path, "--format", "csv", "--mapping", mapping.path, "--skip-invalid",
      "--rejects", rejects.path,
    ])
    try cli.ok(["export", "contributions", "c", "--format", "csv", "--output", contributions.path])
    try cli.ok(["export", "attendance", "c", "--format", "csv", "--output", attendance.path])

    var cells: [String: [[String]]] = [:]
    for file in [contributions, attendance, rejects] {
      let rows = try Self.pythonCSV(file)
      #expect(rows.count > 1, "\(file.lastPathComponent) has rows")
      for (number, row) in rows.enumerated() {
        for cell in row {
          #expect(
            !(cell.first.map { "=+-@\t\r".contains($0) } ?? false), "\(file.lastPathComponent) row \(number): \(cell)")
          #expect(
            !cell.unicodeScalars.contains {
              ($0.value < 0x20 && $0 != "\t" && $0 != "\n") || (0x7F...0x9F).contains($0.value)
            },
            "\(file.lastPathComponent) row \(number): \(cell.debugDescription)")
        }
      }
      cells[file.lastPathComponent] = rows
    }
    // Neutralised, not lost: the text follows the quote, and a leading tab is kept.
    let texts = Dictionary(
      uniqueKeysWithValues: (cells["contributions.csv"] ?? []).dropFirst().map { (Int($0[0]) ?? 0, $0[12]) })
    #expect(texts[ids["formula"]!] == "'=1+2 formula \u{FFFD}]0;pwned\u{FFFD}\u{FFFD}[2J\u{FFFD}[31mred\u{FFFD}0m")
    #expect(texts[ids["tab"]!] == "'\tIndented with a leading tab")
    #expect(texts[ids["minus"]!] == "'-2+3")
    #expect(texts[ids["plus"]!] == "'+cmd")
    #expect(texts[ids["at"]!] == "'@SUM(A1)")
    #expect(texts[ids["cr"]!] == "\nCR first")
    #expect(texts.values.contains("'=2+3"), "the imported formula: \(texts)")
    let attendanceNames = (cells["attendance.csv"] ?? []).dropFirst().map { $0[5] }
    #expect(attendanceNames.contains { $0.hasPrefix("'@SUM(1+1) Anna") }, "\(attendanceNames)")
    let reasons = (cells["rejects.csv"] ?? []).dropFirst().map { $0.joined(separator: "|") }
    #expect(reasons.contains { $0.contains("'-When") }, "\(reasons)")
    // JSON keeps the text exactly as stored.
    let json = try cli.ok(["contributions", "list", "c", "--json"]).stdout
    let list = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
    #expect(list.contains { $0["text"] as? String == "\tIndented with a leading tab" }, "\(json.prefix(500))")
    #expect(list.contains { $0["text"] as? String == "\rCR first" })
  }

  @Test("Markdown and HTML summaries: no raw HTML, no script, links only to http, https and mailto, no controls")
  func documents() throws {
    let cli = try CLI()
    _ = try Self.hostileConsultation(cli)
    let markdown = try cli.ok(["export", "summary", "c", "--format", "markdown"]).stdout
    let html = try cli.ok(["export", "summary", "c", "--format", "html"]).stdout
    for (name, text) in [("markdown", markdown), ("html", html)] {
      #expect(!text.lowercased().contains("<script"), "\(name)")
      #expect(!text.lowercased().contains("<img"), "\(name)")
      #expect(
        !text.unicodeScalars.contains {
          ($0.value < 0x20 && $0 != "\t" && $0 != "\n") || (0x7F...0x9F).contains($0.value)
        },
        "\(name) holds a control character")
    }
    #expect(markdown.contains("&lt;script>alert(5)&lt;/script>"), "the summary's words stay: \(markdown)")
    #expect(markdown.contains("[x]\\(javascript:alert(6))"), "\(markdown)")
    #expect(markdown.contains("&lt;img src=x onerror=alert(4)>"), "the statement's words stay: \(markdown)")
    #expect(markdown.contains("[ok](https://example.org)"), "an http(s) link stays a link: \(markdown)")
    #expect(!html.contains("href=\"javascript"), "\(html)")
    #expect(html.contains("&lt;script&gt;alert(5)&lt;/script&gt;"), "\(html)")
    // Rendered as a reader's Markdown viewer would.
    for format in ["commonmark", "gfm"] {
      if let rendered = try ConventionsTests.tool("pandoc", ["-f", format, "-t", "html"], input: markdown) {
        let page = rendered.stdout
        #expect(!page.lowercased().contains("<script") && !page.lowercased().contains("<img"), "\(format): \(page)")
        let links = try NSRegularExpression(pattern: "\\b(?:href|src)=\"([^\"]*)\"")
          .matches(in: page, range: NSRange(page.startIndex..., in: page))
          .compactMap { Range($0.range(at: 1), in: page).map { String(page[$0]) } }
        #expect(links.contains("https://example.org"), "\(format): \(links)")
        #expect(
          links.allSatisfy { ["http://", "https://", "mailto:"].contains(where: $0.lowercased().hasPrefix) },
          "\(format): \(links)")
      }
    }
  }

  @Test("one size limit for a contribution's text, named with the field; the text is stored untrimmed")
  func sizeLimit() throws {
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "c", "--title", "Limits"])
    let directory = try Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let big = directory.appendingPathComponent("big.txt")
    try Data(repeating: 0x61, count: 1_000_001).write(to: big)
    let refused = try cli.run(["contribute", "c", "--file", big.path])
    #expect(refused.status == 1)
    #expect(
      refused.stderr.contains(
        "\(big.path): the text is 1,000,001 bytes long; a contribution's text may be at most 1,000,000 bytes"),
      "\(refused.stderr)")
    let fromStdin = try cli.run(["contribute", "c", "--file", "-"], input: String(repeating: "b", count: 2_000_000))
    #expect(fromStdin.status == 1)
    #expect(fromStdin.stderr.contains("standard input: the text is 2,000,000 bytes long"), "\(fromStdin.stderr)")
    // Exactly at the limit, from a file ending in a line break (the break is the file's, not the text's).
    try Data(repeating: 0x63, count: 1_000_000).write(to: big)
    let handle = try FileHandle(forWritingTo: big)
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("\n".utf8))
    try handle.close()
    try cli.ok(["contribute", "c", "--file", big.path])
    // The import refuses the same size with the same limit.
    let csv = directory.appendingPathComponent("r.csv")
    let mapping = directory.appendingPathComponent("m.yaml")
    try Data("id: Ref\ntext: Comment\n".utf8).write(to: mapping)
    try Data(("Ref,Comment\n1," + String(repeating: "d", count: 1_000_001) + "\n").utf8).write(to: csv)
    let imported = try cli.run(["contributions", "import", "c", csv.path, "--format", "csv", "--mapping", mapping.path])
    #expect(imported.status == 1)
    #expect(imported.stderr.contains("the limit is 1,000,000 bytes"), "\(imported.stderr)")
    try cli.ok(["contribute", "c", "--text", "  \tSpaces and a tab lead, two spaces trail  "])
    let list = try cli.ok(["contributions", "list", "c", "--json"]).stdout
    let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [[String: Any]])
    let texts = rows.compactMap { $0["text"] as? String }
    #expect(texts.contains("  \tSpaces and a tab lead, two spaces trail  "))
    #expect(texts.contains(String(repeating: "c", count: 1_000_000)))
    #expect(texts.count == 2)
  }

  /// The rows of a CSV file as Python's csv module reads them (`newline=''`, the default dialect).
  static func pythonCSV(_ file: URL) throws -> [[String]] {
    let script = """
      import csv, json, sys
      with open(sys.argv[1], newline='', encoding='utf-8') as f:
          json.dump(list(csv.reader(f)), sys.stdout)
      """
    let result = try #require(try ConventionsTests.tool("python3", ["-c", script, file.path], input: ""))
    #expect(result.status == 0, "\(result.stderr)")
    return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String]])
  }

  /// A new empty directory (the caller removes it).
  static func scratchDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consult-safety-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
  }
}
