import ConsultImport
import ConsultStore
import Foundation
import Testing

@Suite("All-or-nothing imports applied in batches")
struct BatchedImportTests {
  /// A mapped CSV of `rows` records; the record numbered `broken` (if any) has an unparseable date.
  static func docket(_ rows: Int, broken: Int? = nil) -> String {
    var csv = "id,submitted,name,text\n"
    for i in 1...rows {
      let date = i == broken ? "not a date" : "2017-05-13T10:00:00Z"
      csv += "\(i),\(date),Person \(i % 500),\"Comment \(i % 3000): keep the rules, please\"\n"
    }
    return csv
  }

  @Test("a malformed record after several batches writes nothing; the fixed file imports once, logged once each")
  func allOrNothingAcrossBatches() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let scratch = try ScratchDirectory()
    let mapping = try CSVMapping.parse("id: id\ntext: text\nauthor: name\ndate: submitted\n", file: "mapping.yaml")
    let count = "SELECT count(*) AS n FROM contributions WHERE source LIKE 'csv:%'"
    func rows(_ sql: String) throws -> Int { try db.store.connection.query(sql).rows[0].decode("n") }

    let bad = try scratch.write("docket.csv", Self.docket(23_000, broken: 22_500))
    #expect(throws: ImportError.self) {
      try db.store.importSubmissions(
        MappedCSVSource(bad, mapping: mapping), into: Scenario.slug, language: "en", actor: "importer")
    }
    #expect(try rows(count) == 0)
    #expect(try rows("SELECT count(*) AS n FROM stakeholders WHERE kind = 'person' AND source = 'csv'") == 0)

    let good = try scratch.write("docket.csv", Self.docket(23_000))
    let report = try db.store.importSubmissions(
      MappedCSVSource(good, mapping: mapping), into: Scenario.slug, language: "en", actor: "importer")
    #expect(report.rowsRead == 23_000 && report.added == 23_000 && report.personsAdded == 23_000)
    #expect(try rows(count) == 23_000)
    #expect(
      try rows(
        """
        SELECT count(*) AS n FROM events e
        JOIN contributions k ON e.entity_kind = 'contribution-batch' AND e.entity_id = k.batch_id
        WHERE k.source LIKE 'csv:%' AND e.from_state IS NULL
        """) == 23_000)
    // One event per staged batch of 10,000 (migration 0040).
    #expect(try rows("SELECT count(*) AS n FROM events WHERE entity_kind = 'contribution-batch'") == 3)
    // Campaign-counted and searchable like any row: 3,000 texts repeat (each about 7 or 8 times).
    #expect(try rows("SELECT count(DISTINCT fingerprint) AS n FROM contributions WHERE source LIKE 'csv:%'") == 3_000)
    #expect(
      try rows("SELECT count(*) AS n FROM contributions WHERE search_vector @@ to_tsquery('english', 'rules')")
        == 23_000)
    let again = try db.store.importSubmissions(
      MappedCSVSource(good, mapping: mapping), into: Scenario.slug, language: "en", actor: "importer")
    #expect(again.added == 0 && again.unchanged == 23_000)
    #expect(try db.store.verifyLog(of: Scenario.slug).isIntact)
  }
}
