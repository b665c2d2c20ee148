import Foundation
import Testing

@testable import ConsultImport

private let polisRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/realdata/polis")

private func readAll(_ source: PolisSource) throws -> [SubmissionRecord] {
  var records: [SubmissionRecord] = []
  try source.read { records.append($0) }
  return records
}

@Suite("Polis comments.csv")
struct PolisTests {
  @Test(
    "the Austrian Klimarat conversation: 522 comments, 197 authors, 245 rejected by moderation",
    .enabled(if: FileManager.default.fileExists(atPath: polisRoot.path), "../shared/realdata is not present"))
  func austria() throws {
    let records = try readAll(PolisSource(polisRoot.appendingPathComponent("austria-climate.5twd2jsnkf.2022-08-08")))
    #expect(records.count == 522)
    #expect(Set(records.compactMap(\.authorKey)).count == 197)
    #expect(records.filter(\.rejectedByModeration).count == 245)
    #expect(records.filter { $0.authorKey == "0" }.count == 48)
    #expect(records.first { $0.authorKey == "0" }?.authorName == "Polis facilitator (seed statements)")
    let first = try #require(records.first)
    #expect(first.sourceID == "122")
    #expect(first.receivedAt == Date(timeIntervalSince1970: 1_651_071_094.558))
    #expect(first.rejectedByModeration)
    #expect(first.text?.hasPrefix("Für die Klimaneutralität") == true)
  }

  @Test(
    "vTaiwan: Traditional Chinese text and embedded newlines survive",
    .enabled(if: FileManager.default.fileExists(atPath: polisRoot.path), "../shared/realdata is not present"))
  func vTaiwan() throws {
    let records = try readAll(PolisSource(polisRoot.appendingPathComponent("vtaiwan.uberx/comments.csv")))
    #expect(records.count == 197)
    #expect(Set(records.compactMap(\.authorKey)).count == 105)
    #expect(records.filter(\.rejectedByModeration).count == 78)
    #expect(records.contains { $0.text?.contains("計程車") == true })
    #expect(records.filter { $0.text?.contains("\n") == true }.count >= 1)
  }

  @Test(
    "hostile input is refused with file, line and column",
    arguments: [
      ("timestamp,comment-id,author-id,moderated\n1,1,1,1\n", "missing required column \"comment-body\"", 1),
      ("timestamp,comment-id,author-id,moderated,comment-body\nx,1,1,1,hi\n", "not an integer", 2),
      ("timestamp,comment-id,author-id,moderated,comment-body\n1,1,1,2,hi\n", "expected -1, 0 or 1", 2),
      ("timestamp,comment-id,author-id,moderated,comment-body\n1,1,1,1,hi\n2,1,2,1,ho\n", "duplicate comment-id", 3),
      ("timestamp,comment-id,author-id,moderated,comment-body\n1,1,-4,1,hi\n", "author-id", 2),
      ("timestamp,comment-id,author-id,moderated,comment-body\n1,1,1,1,\"  \"\n", "empty comment text", 2),
      ("timestamp,comment-id,author-id,moderated,comment-body\n1,1,1,1,\"open\n", "quot", 2),
    ])
  func hostile(_ content: String, _ message: String, _ line: Int) throws {
    let directory = try FixtureDirectory()
    let file = try directory.write("comments.csv", content)
    let error = try #require(throws: ImportError.self) { try readAll(PolisSource(file)) }
    #expect(error.description.contains(message), "\(error)")
    #expect(error.line == line)
  }
}
