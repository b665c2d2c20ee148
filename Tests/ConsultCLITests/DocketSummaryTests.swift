import Foundation
import Testing

/// A consultation of written comments has a summary of its own, named as its workflow names it,
/// with citations, the range of received dates and both kinds of campaign counted apart.
@Suite("Summaries of dockets")
struct DocketSummaryTests {
  @Test("a notice-and-comment docket: the report on the comments, cited, dated, campaigns counted honestly")
  func reportOnTheComments() throws {
    let regulations = WorkflowMatrixTests.realdata.appendingPathComponent("regulations-gov-usda-2017-0002")
    try #require(FileManager.default.fileExists(atPath: regulations.path), "../shared/realdata is missing")
    let cli = try CLI()
    try cli.ok(["db", "migrate"])
    try cli.ok(["open", "usda", "--title", "Regulatory reform", "--workflow", "notice-and-comment"])
    try cli.ok(["contributions", "import", "usda", regulations.path, "--format", "regulations-gov"])
    let listed = try cli.ok(["contributions", "list", "usda", "--json"]).stdout
    let rows = try #require(try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[String: Any]])
    let ids = rows.prefix(2).compactMap { $0["id"] as? Int }
    try #require(ids.count == 2)
    try cli.ok([
      "summary", "draft", "usda", "--title", "Report on the comments",
      "--text", "Many asked for waiver reform [#\(ids[1])]. Others wrote about school meals [#\(ids[0]), #\(ids[1])].",
    ])
    try cli.ok(["summary", "advance", "usda", "submit-for-review"])
    let shown = try cli.ok(["summary", "show", "usda"]).stdout
    #expect(shown.contains("Report on the comments — revision 1, in-review"), "\(shown)")

    let markdown = try cli.ok(["export", "summary", "usda", "--format", "markdown"]).stdout
    #expect(markdown.hasPrefix("# Report on the comments: Regulatory reform\n"), "\(markdown.prefix(200))")
    #expect(
      markdown.contains(
        "## Report on the comments\n\nMany asked for waiver reform [1]. Others wrote about school meals [2, 1]."))
    #expect(markdown.contains("Sources:\n\n1. Written submission (#\(ids[1]))"))
    #expect(
      markdown.range(
        of: #"received between 20\d\d-\d\d-\d\d and 20\d\d-\d\d-\d\d \(UTC\)"#, options: .regularExpression) != nil)
    #expect(markdown.contains("when identical copies count once, "))
    #expect(markdown.contains("when near-identical texts count once too."))
    #expect(markdown.contains("### Campaigns: identical texts"))
    #expect(markdown.contains("### Campaigns: near-identical texts"))
    #expect(markdown.contains("No stakeholder group recorded"))
    #expect(!markdown.contains("Unclassified"))
    #expect(!markdown.contains("(s)"))
    // Excerpts end at a word, marked "…".
    for line in markdown.split(separator: "\n") where line.hasPrefix("| ") && line.hasSuffix("… |") {
      let excerpt = line.dropLast(3).split(separator: "|").last.map(String.init) ?? ""
      #expect(excerpt.last?.isLetter == true || excerpt.last?.isNumber == true, "\(line)")
    }

    // The export pins the record: its digest verifies, and keeps verifying as the record grows.
    let digest = try cli.ok(["log", "digest", "usda"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(digest.range(of: #"^[0-9]+:[0-9a-f]{64}$"#, options: .regularExpression) != nil, "\(digest)")
    #expect(markdown.contains("- **Record digest:** `\(digest)`"), "\(markdown.prefix(600))")
    try cli.ok(["contribute", "usda", "--text", "A late comment."])
    let verified = try cli.ok(["log", "verify", "usda", "--digest", digest]).stdout
    #expect(verified.contains("the record extends digest \(digest)"), "\(verified)")
    let bad = try cli.run([
      "log", "verify", "usda", "--digest", String(digest.dropLast()) + (digest.hasSuffix("0") ? "1" : "0"),
    ])
    #expect(bad.status == 1 && bad.stdout.contains("no longer extends digest"), "\(bad.stdout)")
    let html = try cli.ok(["export", "summary", "usda", "--format", "html"]).stdout
    #expect(html.contains("<h2>Report on the comments</h2>"))
    #expect(html.contains("<a href=\"#c-src-1\" id=\"c-cite-1\">1</a>"))
    #expect(html.contains("<li value=\"1\" id=\"c-src-1\">"))
    #expect(html.contains("<a href=\"#c-cite-1\""))

    let json = try cli.ok(["export", "summary", "usda", "--format", "json"]).stdout
    let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    #expect(document["document_title"] as? String == "Report on the comments")
    let summary = try #require(document["consultation_summary"] as? [String: Any])
    #expect((summary["sources"] as? [Any])?.count == 2)
    let written = try #require(document["written_submissions"] as? [String: Any])
    #expect((written["near_campaigns"] as? [Any])?.isEmpty == false)
    #expect(written["received_first"] is String)
  }
}
