import ConsultCore
import Testing

@Suite("Output text: spreadsheet cells, documents and terminals")
struct OutputTextTests {
  @Test("a CSV cell that begins a formula (=, +, -, @, tab, CR) gets a quote before it; its text stays")
  func formulaCells() {
    #expect(OutputText.csvCell("=HYPERLINK(\"http://x\",\"y\")") == "'=HYPERLINK(\"http://x\",\"y\")")
    #expect(OutputText.csvCell("+1+cmd") == "'+1+cmd")
    #expect(OutputText.csvCell("-2+3") == "'-2+3")
    #expect(OutputText.csvCell("@SUM(A1)") == "'@SUM(A1)")
    #expect(OutputText.csvCell("\tindented") == "'\tindented")
    #expect(OutputText.csvCell("\r=1") == "\n=1", "a CR is a line break, and a line break starts no formula")
    for harmless in ["", "plain", "a=b", "1-2", "x@y.org", "'quoted", " =spaced", "2015-09-17T07:30:00Z"] {
      #expect(OutputText.csvCell(harmless) == harmless)
    }
  }

  @Test("documents and CSV carry no control character but tab and LF; CRLF and CR become LF; nothing trimmed")
  func controls() {
    #expect(
      OutputText.withoutControls("a\u{1B}[31mb\u{07}c\u{0}d\u{7F}e\u{9B}f")
        == "a\u{FFFD}[31mb\u{FFFD}c\u{FFFD}d\u{FFFD}e\u{FFFD}f")
    #expect(OutputText.withoutControls("one\r\ntwo\rthree\n") == "one\ntwo\nthree\n")
    #expect(OutputText.withoutControls("\t lead and trail \n") == "\t lead and trail \n")
    let every = String(String.UnicodeScalarView((0..<0x20).compactMap(Unicode.Scalar.init)))
    let clean = OutputText.withoutControls(every)
    #expect(clean.unicodeScalars.allSatisfy { $0.value >= 0x20 || $0 == "\t" || $0 == "\n" })
  }

  @Test("terminal text shows control characters and bidi controls escaped, never raw")
  func terminal() {
    let hostile =
      "\u{1B}]0;owned\u{07}\u{1B}[2J\u{1B}[31mred\u{9B}31m \u{202E}evil\u{202C} \u{2066}x\u{2069} \u{200E}\u{200F}"
    let shown = OutputText.terminal(hostile)
    #expect(
      shown
        == "<U+001B>]0;owned<U+0007><U+001B>[2J<U+001B>[31mred<U+009B>31m <U+202E>evil<U+202C> <U+2066>x<U+2069> <U+200E><U+200F>"
    )
    #expect(!shown.unicodeScalars.contains { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" })
    #expect(!shown.unicodeScalars.contains(where: OutputText.isBidiControl))
    #expect(OutputText.terminal("tab\tand\nline, é, 中文") == "tab\tand\nline, é, 中文")
  }

  @Test("one size limit for a contribution's text")
  func sizeLimit() {
    #expect(ContributionText.sizeProblem(String(repeating: "a", count: ContributionText.maxBytes)) == nil)
    let over = ContributionText.sizeProblem(String(repeating: "é", count: 500_001))
    #expect(over == "is 1,000,002 bytes long; a contribution's text may be at most 1,000,000 bytes")
  }
}
