import ConsultImport
import ConsultStore
import Foundation
import Postgres
import Testing

/// What a killed process looks like to the importer: an error in the middle of reading.
private struct Killed: Error {}

/// Reads `base` and throws ``Killed`` when it reaches the record starting at `line`.
private struct KilledAtLine: SubmissionSource {
  let base: MappedCSVSource
  let line: Int
  var format: String { base.format }
  var mainFile: URL { base.mainFile }
  var scope: String { base.scope }
  func read(_ body: (SubmissionRecord) throws -> Void) throws {
    try base.read { record in
      if record.line >= line { throw Killed() }
      try body(record)
    }
  }
}

private let mapping = try! CSVMapping.parse(
  "id: Ref\ntext: Text\norganisation: Org\ndate: Date\nauthor: Name\nauthor-id: Author\n", file: "mapping.yaml")

/// 50 rows (lines 2…51): ten organisations, authors shared by pairs of rows, one repeated text.
private func csv(changing line: Int? = nil, badDateAt bad: Int? = nil) -> String {
  var text = "Ref,Name,Author,Org,Date,Text\n"
  for i in 1...50 {
    let date = i + 1 == bad ? "2021-13-01" : "2021-03-0\(1 + i % 9)"
    let body = i + 1 == line ? "Changed text \(i)" : (i % 10 == 0 ? "Same form letter" : "Text \(i)")
    text += "r\(i),Person \(i / 2),a\(i / 2),Org \(i % 10) Inc.,\(date),\(body)\n"
  }
  return text
}

@Suite("Resumable imports and progress")
struct ResumeImportTests {
  /// Tables whose rows an import run adds the same way whether it is resumed or not (the event
  /// log has one event per committed batch, so it differs; see `resumeAfterKill`).
  let tables = ["contributions", "stakeholders", "imports"]

  func int(_ db: TestDatabase, _ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> Int {
    try db.store.connection.query(sql, parameters).rows[0].decode("n")
  }

  /// Every imported contribution with its people and organisation, in source-id order.
  func contents(_ db: TestDatabase) throws -> [String] {
    try db.store.connection.query(
      """
      SELECT k.source_id || '|' || k.text || '|' || coalesce(p.name, '-') || '|' || coalesce(o.name, '-') || '|'
             || k.attribution || '|' || k.state || '|' || coalesce(k.language, '-') AS row
      FROM contributions k LEFT JOIN stakeholders p ON p.id = k.stakeholder_id
      LEFT JOIN stakeholders o ON o.id = k.organisation_id
      WHERE k.source LIKE 'csv:%' ORDER BY k.source_id
      """
    ).map { try $0.decode("row", as: String.self) }
  }

  @Test("a killed import continues where it stopped and ends as an uninterrupted one, without duplicates")
  func resumeAfterKill() throws {
    let scratch = try ScratchDirectory()
    let file = try scratch.write("input.csv", csv())
    let source = MappedCSVSource(file, mapping: mapping)

    let reference = try TestDatabase()
    try Scenario.build(reference.store)
    let whole = try reference.store.importSubmissions(source, into: Scenario.slug, language: "en", actor: "i")
    #expect(whole.added == 50)

    let db = try TestDatabase()
    try Scenario.build(db.store)
    // Killed at line 31: batches of 7 up to line 29 (28 records) are committed.
    #expect(throws: Killed.self) {
      try db.store.importSubmissions(
        KilledAtLine(base: source, line: 31), into: Scenario.slug, language: "en", actor: "i",
        resume: ImportBatching(batchSize: 7))
    }
    #expect(try int(db, "SELECT count(*) AS n FROM contributions WHERE source LIKE 'csv:%'") == 28)
    let row = try db.store.connection.query(
      "SELECT last_line, rows_committed, batches, status FROM import_batches")
    #expect(row.count == 1)
    #expect(try row.rows[0].decode("last_line", as: Int.self) == 29)
    #expect(try row.rows[0].decode("rows_committed", as: Int.self) == 28)
    #expect(try row.rows[0].decode("batches", as: Int.self) == 4)
    #expect(try row.rows[0].decode("status", as: String.self) == "failed")
    #expect(try int(db, "SELECT count(*) AS n FROM imports") == 0)

    let resumed = try db.store.importSubmissions(
      source, into: Scenario.slug, language: "en", actor: "i", resume: ImportBatching(batchSize: 7))
    #expect(resumed.committedEarlier == 28)
    #expect(resumed.rowsRead == 50)
    #expect(resumed.added == 22 && resumed.unchanged == 0)
    #expect(resumed.batches == 4)
    #expect(try contents(db) == contents(reference))
    #expect(try tables.map { try db.count($0) } == tables.map { try reference.count($0) })
    #expect(
      try int(db, "SELECT count(*) - count(DISTINCT source_id) AS n FROM contributions WHERE source LIKE 'csv:%'") == 0)
    #expect(
      try int(
        db,
        """
        SELECT count(*) AS n FROM contributions k
        WHERE 1 = (SELECT count(*) FROM events e WHERE e.entity_kind = 'contribution' AND e.entity_id = k.id
                     AND e.event = 'create')
                  + (SELECT count(*) FROM events b WHERE b.entity_kind = 'contribution-batch' AND b.entity_id = k.batch_id)
        """) == int(db, "SELECT count(*) AS n FROM contributions"))
    // Each committed batch is one batch event: 4 before the kill, 4 after.
    #expect(try int(db, "SELECT count(*) AS n FROM events WHERE entity_kind = 'contribution-batch'") == 8)
    #expect(try db.store.verifyLog(of: Scenario.slug).isIntact)
    let finished = try db.store.connection.query(
      "SELECT status, rows_committed, rows_added, finished_at IS NOT NULL AS done FROM import_batches")
    #expect(try finished.rows[0].decode("status", as: String.self) == "finished")
    #expect(try finished.rows[0].decode("rows_committed", as: Int.self) == 50)
    #expect(try finished.rows[0].decode("rows_added", as: Int.self) == 50)
    #expect(try int(db, "SELECT rows_added AS n FROM imports") == 50)

    // A re-run after the finished import adds nothing: the file is as it was, so it is not read.
    let again = try db.store.importSubmissions(source, into: Scenario.slug, actor: "i", resume: ImportBatching())
    #expect(again.added == 0 && again.finishedEarlier && again.rowsRead == 0 && again.committedEarlier == 50)
    // Without --resume it is compared record by record: all unchanged.
    let compared = try db.store.importSubmissions(source, into: Scenario.slug, actor: "i")
    #expect(compared.added == 0 && compared.unchanged == 50 && compared.changed.isEmpty)
    #expect(try contents(db) == contents(reference))
  }

  @Test("resuming a file changed before the last committed record is refused; a change after it is not")
  func changedFile() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let scratch = try ScratchDirectory()
    let file = try scratch.write("input.csv", csv())
    let source = MappedCSVSource(file, mapping: mapping)
    #expect(throws: Killed.self) {
      try db.store.importSubmissions(
        KilledAtLine(base: source, line: 20), into: Scenario.slug, actor: "i", resume: ImportBatching(batchSize: 5))
    }
    let committed = try tables.map { try db.count($0) }
    // Line 9 is in a committed batch (lines 2…16).
    _ = try scratch.write("input.csv", csv(changing: 9))
    let error = try #require(throws: StoreError.self) {
      try db.store.importSubmissions(source, into: Scenario.slug, actor: "i", resume: ImportBatching(batchSize: 5))
    }
    #expect(error.kind == .invalidInput)
    #expect(error.message.contains("changed at or before line 16"))
    #expect(try tables.map { try db.count($0) } == committed)
    // Line 30 is after it: the import continues with the file as it is now.
    _ = try scratch.write("input.csv", csv(changing: 30))
    let resumed = try db.store.importSubmissions(
      source, into: Scenario.slug, actor: "i", resume: ImportBatching(batchSize: 5))
    #expect(resumed.committedEarlier == 15 && resumed.added == 35)
    #expect(try int(db, "SELECT count(*) AS n FROM contributions WHERE text = 'Changed text 29'") == 1)
  }

  @Test("with --resume a malformed record keeps the earlier batches; fixed, the import continues")
  func malformedLater() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let scratch = try ScratchDirectory()
    let file = try scratch.write("input.csv", csv(badDateAt: 40))
    let source = MappedCSVSource(file, mapping: mapping)
    let error = try #require(throws: PartialImportError.self) {
      try db.store.importSubmissions(source, into: Scenario.slug, actor: "i", resume: ImportBatching(batchSize: 10))
    }
    #expect(error.error.line == 40 && error.error.column == "Date")
    #expect(error.rowsCommitted == 30)
    #expect(error.description.hasSuffix("30 rows committed; fix the file and run again with --resume"))
    #expect(try int(db, "SELECT count(*) AS n FROM contributions WHERE source LIKE 'csv:%'") == 30)

    // Skipping invalid records works in batches too (and the batch before the bad row commits).
    let other = try TestDatabase()
    try Scenario.build(other.store)
    var rejected: [Int?] = []
    let skipping = try other.store.importSubmissions(
      source, into: Scenario.slug, actor: "i", invalid: { rejected.append($0.line) },
      resume: ImportBatching(batchSize: 10))
    #expect(skipping.added == 49 && skipping.invalid == 1 && rejected == [40])

    _ = try scratch.write("input.csv", csv())
    let fixed = try db.store.importSubmissions(
      source, into: Scenario.slug, actor: "i", resume: ImportBatching(batchSize: 10))
    #expect(fixed.committedEarlier == 30 && fixed.added == 20)
    #expect(try int(db, "SELECT count(*) AS n FROM contributions WHERE source LIKE 'csv:%'") == 50)
    #expect(try int(db, "SELECT count(*) AS n FROM import_batches WHERE status = 'finished'") == 1)
  }

  @Test("the progress callback reports increasing counts and bytes, then the end", arguments: [false, true])
  func progress(resume: Bool) throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let scratch = try ScratchDirectory()
    let file = try scratch.write("input.csv", csv())
    var reports: [ImportProgress] = []
    _ = try db.store.importSubmissions(
      MappedCSVSource(file, mapping: mapping), into: Scenario.slug, actor: "i",
      resume: resume ? ImportBatching(batchSize: 20) : nil
    ) { reports.append($0) }
    // One report per record, then (in one transaction only) one as the writing starts, then the end.
    #expect(reports.count == (resume ? 51 : 52))
    #expect(reports.map(\.rowsRead) == Array(1...50) + (resume ? [50] : [50, 50]))
    #expect(reports.map(\.writing) == Array(repeating: false, count: 50) + (resume ? [false] : [true, true]))
    #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.line <= $1.line && $0.bytesRead! <= $1.bytesRead! })
    #expect(reports.dropLast().allSatisfy { !$0.finished })
    let last = try #require(reports.last)
    #expect(last.finished && last.fractionRead == 1)
    #expect(last.fileSize == csv().utf8.count)
    #expect(last.rowsCommitted == (resume ? 50 : 0))
    if resume { #expect(reports.map(\.rowsCommitted).contains(40)) }
    // Without --resume nothing is recorded in import_batches.
    #expect(try db.count("import_batches") == (resume ? 1 : 0))
  }
}
