import ConsultCore
import ConsultImport
import ConsultStore
import Foundation
import Postgres
import Testing

/// Imported records and persons are matched only within their source and consultation; a
/// re-import reports new, unchanged and changed records and can record changed texts as revisions.
@Suite("Import scopes, persons and changed texts")
struct ImportScopeTests {
  static let mapping = try! CSVMapping.parse("id: Ref\ntext: Comment\nauthor: Name\n", file: "mapping.yaml")
  static let keyed = try! CSVMapping.parse(
    "id: Ref\ntext: Comment\nauthor: Name\nauthor-id: Who\n", file: "mapping.yaml")

  func int(_ db: TestDatabase, _ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> Int {
    try db.store.connection.query(sql, parameters).rows[0].decode("n")
  }

  func names(_ db: TestDatabase, _ slug: String) throws -> [String] {
    try db.store.connection.query(
      """
      SELECT s.name FROM contributions k JOIN stakeholders s ON s.id = k.stakeholder_id
      JOIN consultations c ON c.id = k.consultation_id WHERE c.slug = $1 ORDER BY s.name
      """, [slug]
    ).map { try $0.decode("name") }
  }

  func open(_ db: TestDatabase, _ slug: String) throws {
    _ = try db.store.openConsultation(
      slug: slug, title: slug, owner: nil, workflow: try db.store.resolveWorkflow(Scenario.workflowFile.path),
      actor: "t")
  }

  @Test("two CSV files numbered from 1, in one consultation: different records and different people")
  func sameRowIDsOneConsultation() throws {
    let db = try TestDatabase()
    try open(db, "c")
    let scratch = try ScratchDirectory()
    let first = try scratch.write("january.csv", "Ref,Comment,Name\n1,Text A,Alice\n2,Text B,Bob\n")
    let second = try scratch.write("february.csv", "Ref,Comment,Name\n1,Text C,Carol\n2,Text D,Dan\n")
    let a = try db.store.importSubmissions(MappedCSVSource(first, mapping: Self.mapping), into: "c", actor: "t")
    let b = try db.store.importSubmissions(MappedCSVSource(second, mapping: Self.mapping), into: "c", actor: "t")
    #expect(a.added == 2 && a.personsAdded == 2)
    #expect(b.added == 2 && b.personsAdded == 2 && b.unchanged == 0 && b.changed.isEmpty)
    #expect(try names(db, "c") == ["Alice", "Bob", "Carol", "Dan"])
    // Each file again: nothing new, nothing changed.
    let again = try db.store.importSubmissions(MappedCSVSource(second, mapping: Self.mapping), into: "c", actor: "t")
    #expect(again.added == 0 && again.unchanged == 2 && again.personsAdded == 0)
    #expect(try db.store.checkLog().isConsistent)
  }

  @Test("the same file name in two consultations: separate people; row 1 never links to the first import")
  func sameRowIDsTwoConsultations() throws {
    let db = try TestDatabase()
    try open(db, "one")
    try open(db, "two")
    let scratch = try ScratchDirectory()
    let first = try scratch.write("responses.csv", "Ref,Comment,Name\n1,Text A,Alice\n")
    _ = try db.store.importSubmissions(MappedCSVSource(first, mapping: Self.mapping), into: "one", actor: "t")
    let later = try ScratchDirectory()
    let second = try later.write("responses.csv", "Ref,Comment,Name\n1,Text B,Bob\n")
    let report = try db.store.importSubmissions(MappedCSVSource(second, mapping: Self.mapping), into: "two", actor: "t")
    #expect(report.added == 1 && report.personsAdded == 1)
    #expect(try names(db, "one") == ["Alice"])
    #expect(try names(db, "two") == ["Bob"])
  }

  @Test("an author key joins rows of one source; --source joins files of one system")
  func authorKeys() throws {
    let db = try TestDatabase()
    try open(db, "c")
    let scratch = try ScratchDirectory()
    let first = try scratch.write("a.csv", "Ref,Comment,Name,Who\n1,One,Alice,u7\n2,Two,Alice,u7\n")
    let second = try scratch.write("b.csv", "Ref,Comment,Name,Who\n1,Three,Alice,u7\n")
    let a = try db.store.importSubmissions(MappedCSVSource(first, mapping: Self.keyed), into: "c", actor: "t")
    #expect(a.added == 2 && a.personsAdded == 1)
    // Another file: its key u7 is not assumed to be the same person.
    let b = try db.store.importSubmissions(MappedCSVSource(second, mapping: Self.keyed), into: "c", actor: "t")
    #expect(b.added == 1 && b.personsAdded == 1)
    // Named as one system: files c.csv and d.csv share ids and authors.
    let third = try scratch.write("c.csv", "Ref,Comment,Name,Who\n9,Four,Alice,u7\n")
    let fourth = try scratch.write("d.csv", "Ref,Comment,Name,Who\n9,Four,Alice,u7\n10,Five,Alice,u7\n")
    let c = try db.store.importSubmissions(
      MappedCSVSource(third, mapping: Self.keyed), into: "c", actor: "t", sourceName: "survey-tool")
    let d = try db.store.importSubmissions(
      MappedCSVSource(fourth, mapping: Self.keyed), into: "c", actor: "t", sourceName: "survey-tool")
    #expect(c.added == 1 && c.personsAdded == 1)
    #expect(d.added == 1 && d.unchanged == 1 && d.personsAdded == 0)
    #expect(try int(db, "SELECT count(DISTINCT stakeholder_id) AS n FROM contributions") == 3)
  }

  @Test("two Polis conversations in one consultation: comment ids and authors do not collide")
  func twoPolisConversations() throws {
    let db = try TestDatabase()
    try open(db, "c")
    let realdata = Scenario.regulationsGovData?.deletingLastPathComponent().appendingPathComponent("polis")
    let polis = try #require(realdata, "../shared/realdata is missing")
    let austria = PolisSource(polis.appendingPathComponent("austria-climate.5twd2jsnkf.2022-08-08"))
    let taiwan = PolisSource(polis.appendingPathComponent("vtaiwan.uberx"))
    #expect(austria.scope == "polis:5twd2jsnfk" && taiwan.scope == "polis:3phdex2kjf")
    let a = try db.store.importSubmissions(austria, into: "c", actor: "t")
    let b = try db.store.importSubmissions(taiwan, into: "c", actor: "t")
    #expect(a.added == a.rowsRead && b.added == b.rowsRead && b.unchanged == 0)
    #expect(try int(db, "SELECT count(*) AS n FROM contributions") == a.rowsRead + b.rowsRead)
    #expect(
      try int(db, "SELECT count(*) AS n FROM stakeholders WHERE kind = 'person'")
        == a.personsAdded + b.personsAdded)
  }

  @Test("a changed text is listed and left as it was; --update-changed keeps the old one as a revision")
  func changedTexts() throws {
    let db = try TestDatabase()
    try open(db, "c")
    let scratch = try ScratchDirectory()
    let file = try scratch.write("r.csv", "Ref,Comment,Name\n1,First text,Alice\n2,Other,Bob\n")
    _ = try db.store.importSubmissions(MappedCSVSource(file, mapping: Self.mapping), into: "c", actor: "t")
    let events = try db.count("events")
    _ = try scratch.write("r.csv", "Ref,Comment,Name\n1,Corrected text,Alice\n2,Other,Bob\n3,New,Carol\n")
    let listed = try db.store.importSubmissions(MappedCSVSource(file, mapping: Self.mapping), into: "c", actor: "t")
    #expect(listed.added == 1 && listed.unchanged == 1 && listed.changed == ["1"] && !listed.updated)
    #expect(try int(db, "SELECT count(*) AS n FROM contributions WHERE text = 'First text'") == 1)
    #expect(try db.count("events") == events + 1)  // the new record's creation only
    #expect(try db.count("contribution_revisions") == 0)

    let updated = try db.store.importSubmissions(
      MappedCSVSource(file, mapping: Self.mapping), into: "c", actor: "editor", updateChanged: true)
    #expect(updated.added == 0 && updated.unchanged == 2 && updated.changed == ["1"] && updated.updated)
    let row = try db.store.connection.query(
      """
      SELECT k.text, r.revision, r.text AS old, (SELECT handle FROM actors WHERE id = r.replaced_by_id) AS replaced_by,
             e.event, e.from_state = e.to_state AS same, (SELECT handle FROM actors WHERE id = e.actor_id) AS actor
      FROM contributions k JOIN contribution_revisions r ON r.contribution_id = k.id
      JOIN events e ON e.entity_kind = 'contribution' AND e.entity_id = k.id AND e.event = 'revise-text'
      WHERE k.source_id = '1'
      """
    ).rows
    try #require(row.count == 1)
    #expect(try row[0].decode("text") as String == "Corrected text")
    #expect(try row[0].decode("old") as String == "First text")
    #expect(try row[0].decode("revision") as Int == 1)
    #expect(try row[0].decode("same") as Bool)
    #expect(try row[0].decode("actor") as String == "editor")
    // Search and campaigns follow the new text.
    #expect(try db.store.searchContributions(in: "c", query: "corrected").count == 1)
    // Revisions are append-only.
    #expect(throws: PostgresError.self) {
      try db.store.connection.execute("DELETE FROM contribution_revisions")
    }
    #expect(try db.store.checkLog().isConsistent)
    // Nothing changed any more.
    let quiet = try db.store.importSubmissions(
      MappedCSVSource(file, mapping: Self.mapping), into: "c", actor: "t", updateChanged: true)
    #expect(quiet.changed.isEmpty && quiet.unchanged == 3 && !quiet.updated)
  }

  @Test("a finished --resume import run again is not read again while the file is as it was")
  func finishedResume() throws {
    let db = try TestDatabase()
    try open(db, "c")
    let scratch = try ScratchDirectory()
    let file = try scratch.write("r.csv", "Ref,Comment,Name\n1,One,Alice\n2,Two,Bob\n")
    let batching = ImportBatching(batchSize: 1)
    let first = try db.store.importSubmissions(
      MappedCSVSource(file, mapping: Self.mapping), into: "c", actor: "t", resume: batching)
    #expect(first.added == 2 && !first.finishedEarlier)
    let again = try db.store.importSubmissions(
      MappedCSVSource(file, mapping: Self.mapping), into: "c", actor: "t", resume: batching)
    #expect(again.finishedEarlier && again.importID == first.importID && again.committedEarlier == 2)
    #expect(again.rowsRead == 0 && again.batches == 0)
    // The file grows: it is read again and the new row added.
    _ = try scratch.write("r.csv", "Ref,Comment,Name\n1,One,Alice\n2,Two,Bob\n3,Three,Carol\n")
    let grown = try db.store.importSubmissions(
      MappedCSVSource(file, mapping: Self.mapping), into: "c", actor: "t", resume: batching)
    #expect(!grown.finishedEarlier && grown.added == 1 && grown.unchanged == 2)
  }

  @Test("upgrade: CSV rows imported before 0009 take their file's scope, so re-importing the file adds nothing")
  func upgradeBackfillsScopes() throws {
    let db = try TestDatabase(through: 8)
    let id = try db.legacyConsultation("c")
    let scratch = try ScratchDirectory()
    let file = try scratch.write("legacy.csv", "Ref,Comment,Name\n1,One,Alice\n2,Two,Bob\n")
    // As 0008's import wrote them: the format alone as the source.
    for (row, text) in [("1", "One"), ("2", "Two")] {
      try db.legacyContribution(
        id, text: text, language: nil, source: "csv", sourceID: row, reason: "import legacy.csv")
    }
    try Migrator().migrate(on: db.store.connection)
    try db.store.registerActor("t")
    #expect(try int(db, "SELECT count(*) AS n FROM contributions WHERE source = 'csv:legacy.csv'") == 2)
    let again = try db.store.importSubmissions(MappedCSVSource(file, mapping: Self.mapping), into: "c", actor: "t")
    #expect(again.added == 0 && again.unchanged == 2)
  }
}
