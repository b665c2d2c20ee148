import ConsultExport
import Foundation
import Testing

@Suite("Markdown exports: no raw HTML, links only to http, https and mailto")
struct MarkdownSafetyTests {
  /// Hostile Markdown: raw HTML, autolinks, inline links and images, reference definitions with
  /// script, data and disguised destinations, next to links that may stay.
  static let hostile = """
    <script>alert(1)</script> <img src=x onerror=alert(2)> <javascript:alert(3)>
    [click](javascript:alert(4)) [spaced]( javascript:alert(5)) [angle](<javascript:alert(6)>)
    [entity](java&#115;cript:alert(7)) ![image](data:text/html;base64,PHNjcmlwdD4=) [empty]()
    [ref][evil]

    [evil]: javascript:alert(8)

    [VB](VBSCRIPT:msgbox) [rel](../../etc/passwd)
    [ok](https://example.org/a?b=c) [mail](mailto:someone@example.org) [plain](http://example.org)
    """

  @Test("escaping keeps the words and the allowed links, and disables every other link")
  func escaping() {
    let safe = MarkdownSafety.escape(Self.hostile)
    #expect(!safe.contains("<"), "\(safe)")
    #expect(safe.contains("&lt;script>alert(1)&lt;/script>"))
    #expect(safe.contains("[click]\\(javascript:alert(4))"))
    #expect(safe.contains("[evil]\\: javascript:alert(8)"))
    #expect(safe.contains("[ok](https://example.org/a?b=c)"))
    #expect(safe.contains("[mail](mailto:someone@example.org)"))
    #expect(safe.contains("[plain](http://example.org)"))
    #expect(MarkdownSafety.escape("No markup at all: 1 < 2? [#3]") == "No markup at all: 1 &lt; 2? [#3]")
  }

  @Test("links to a place in the same document and footnotes stay; a footnote that could be a link does not")
  func fragmentsAndFootnotes() {
    #expect(MarkdownSafety.escape("See [scope](#scope).") == "See [scope](#scope).")
    #expect(
      MarkdownSafety.escape("Noted.[^1]\n\n[^1]: As the workshop heard.")
        == "Noted.[^1]\n\n[^1]: As the workshop heard.")
    #expect(MarkdownSafety.escape("[^1]: javascript:alert(1)") == "[^1]\\: javascript:alert(1)")
    #expect(MarkdownSafety.escape("[^1]: //evil.example/x") == "[^1]\\: //evil.example/x")
    #expect(MarkdownSafety.escape("[x]: relative/path") == "[x]\\: relative/path")
  }

  @Test("rendered by pandoc (CommonMark and GFM), escaped Markdown has no script, no raw HTML, no unsafe link")
  func rendered() throws {
    guard let pandoc = ["/usr/bin/pandoc", "/usr/local/bin/pandoc"].first(where: FileManager.default.isExecutableFile)
    else { return }
    for format in ["commonmark", "gfm", "markdown"] {
      let html = try Self.run(pandoc, ["-f", format, "-t", "html"], input: MarkdownSafety.escape(Self.hostile))
      #expect(!html.lowercased().contains("<script"), "\(format): \(html)")
      #expect(!html.lowercased().contains("<img src=\"x\""), "\(format): \(html)")
      let links = Self.attributes(in: html, names: ["href", "src"])
      #expect(
        links.allSatisfy { ["http://", "https://", "mailto:"].contains(where: $0.lowercased().hasPrefix) },
        "\(format): \(links)")
      #expect(links.contains("https://example.org/a?b=c") && links.contains("mailto:someone@example.org"))
      // The same input unescaped does produce the attacks (so the check above can fail).
      let raw = try Self.run(pandoc, ["-f", format, "-t", "html"], input: Self.hostile)
      #expect(
        raw.contains("<script") || Self.attributes(in: raw, names: ["href"]).contains { $0.hasPrefix("javascript:") },
        "\(format)")
    }
  }

  /// The values of the `names` attributes in `html`.
  static func attributes(in html: String, names: [String]) -> [String] {
    let pattern = try! NSRegularExpression(pattern: "\\b(?:\(names.joined(separator: "|")))=\"([^\"]*)\"")
    return pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)).compactMap {
      Range($0.range(at: 1), in: html).map { String(html[$0]) }
    }
  }

  /// Runs `executable` with `input` on standard input; its standard output.
  static func run(_ executable: String, _ arguments: [String], input: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let inp = Pipe()
    let out = Pipe()
    process.standardInput = inp
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    inp.fileHandleForWriting.write(Data(input.utf8))
    try inp.fileHandleForWriting.close()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
  }
}
