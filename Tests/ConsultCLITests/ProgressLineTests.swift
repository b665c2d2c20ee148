import Testing

@testable import ConsultStore
@testable import consult

@Suite("The import's progress line")
struct ProgressLineTests {
  static func progress(rows: Int, bytes: Int, writing: Bool = false) -> ImportProgress {
    var progress = ImportProgress(
      rowsRead: rows, line: rows + 1, bytesRead: bytes, fileSize: 1_000, rowsCommitted: 0, finished: false)
    progress.writing = writing
    return progress
  }

  @Test("while reading: rows, rate, share of the file and the time left to read it")
  func reading() {
    #expect(
      ImportProgressLine.text(Self.progress(rows: 12_000, bytes: 400), elapsed: 4)
        == "12,000 rows read · 3,000 rows/s · 40% · about 6 s left to read")
  }

  @Test("once everything is read: says the database is writing, with no time left that would be wrong")
  func writing() {
    let text = ImportProgressLine.text(Self.progress(rows: 30_000, bytes: 1_000, writing: true), elapsed: 7)
    #expect(text == "30,000 rows read in 7 s · the database is writing the last of them")
  }
}
