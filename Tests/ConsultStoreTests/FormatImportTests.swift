import ConsultImport
import ConsultStore
import Foundation
import Postgres
import Testing

private let decidimHeader =
  "id;created_at;body;locale;author/id;author/name;alignment;depth;user_group/id;user_group/name;"
  + "commentable_id;commentable_type;root_commentable_url\n"

private func decidimRow(
  _ id: Int, body: String? = nil, author: Int = 1, group: String = "", created: String = "2021-03-04T10:15:00+01:00"
) -> String {
  "\(id);\(created);\(body ?? "Comment \(id)");ca;\(author);Participant \(author);0;0;;\(group);9;Decidim::Proposals::Proposal;https://example.org/p/9\n"
}

private func feedback(_ id: Int, date: String = "2021/07/01 12:30:00", text: String? = nil, org: String = "null")
  -> String
{
  """
  {"id": \(id), "referenceInitiative": "PLAN/2020/1", "dateFeedback": "\(date)", "feedback": "\(text ?? "Feedback \(id)")",
   "language": "FR", "userType": "EU_CITIZEN", "country": "FRA", "companySize": null, "firstName": "Marie",
   "surname": "Dupont", "organization": \(org), "trNumber": null, "attachments": [], "publicationId": 4}
  """
}

@Suite("Importing Decidim, Have Your Say and mapped CSV files")
struct FormatImportTests {
  let tables = ["contributions", "stakeholders", "events", "imports"]

  func counts(_ db: TestDatabase) throws -> [Int] { try tables.map { try db.count($0) } }

  func int(_ db: TestDatabase, _ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> Int {
    try db.store.connection.query(sql, parameters).rows[0].decode("n")
  }

  @Test("decidim: imports once, persons by author id, group as organisation, per-row language")
  func decidim() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let scratch = try ScratchDirectory()
    let file = try scratch.write(
      "comments.csv",
      decidimHeader + decidimRow(1) + decidimRow(2, group: "Associació Veïnal") + decidimRow(3, author: 2)
        + decidimRow(4, body: "\"{\"\"en\"\":\"\"English\"\",\"\"ca\"\":\"\"Català\"\"}\""))
    let report = try db.store.importSubmissions(DecidimSource(file), into: Scenario.slug, language: "de", actor: "i")
    #expect(report.rowsRead == 4 && report.added == 4)
    #expect(report.personsAdded == 2 && report.organisationsAdded == 1)
    #expect(
      try int(db, "SELECT count(*) AS n FROM contributions WHERE source LIKE 'decidim:%' AND language = 'ca'") == 4)
    #expect(
      try int(db, "SELECT count(*) AS n FROM contributions WHERE source LIKE 'decidim:%' AND text = 'Català'") == 1)
    #expect(
      try int(
        db,
        "SELECT count(*) AS n FROM contributions WHERE source LIKE 'decidim:%' AND received_at = '2021-03-04 09:15:00+00'"
      )
        == 4)
    let before = try counts(db)
    let again = try db.store.importSubmissions(DecidimSource(file), into: Scenario.slug, actor: "i")
    #expect(again.added == 0 && again.unchanged == 4 && again.personsAdded == 0)
    #expect(try counts(db)[0...2] == before[0...2])
  }

  @Test("have-your-say: Brussels times stored as UTC; the record's language beats the default")
  func haveYourSay() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let scratch = try ScratchDirectory()
    let file = try scratch.write(
      "feedback.json",
      "{\"feedback\": [\n" + feedback(1) + ",\n" + feedback(2, date: "2021/01/15 12:30:00", org: "\"Les Amis\"")
        + "\n]}")
    let report = try db.store.importSubmissions(HaveYourSaySource(file), into: Scenario.slug, actor: "i")
    #expect(report.added == 2 && report.personsAdded == 2 && report.organisationsAdded == 1)
    #expect(
      try int(
        db,
        """
        SELECT count(*) AS n FROM contributions WHERE source = 'have-your-say' AND language = 'fr'
          AND received_at IN ('2021-07-01 10:30:00+00', '2021-01-15 11:30:00+00')
        """) == 2)
    let again = try db.store.importSubmissions(HaveYourSaySource(file), into: Scenario.slug, actor: "i")
    #expect(again.added == 0 && again.unchanged == 2)
  }

  @Test("csv with a mapping: imports once; a malformed file changes nothing")
  func mappedCSV() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let scratch = try ScratchDirectory()
    let mapping = try CSVMapping.parse(
      "id: Ref\ntext: Text\norganisation: Org\ndate: Date\nauthor: Name\n", file: "mapping.yaml")
    var csv = "Ref,Name,Org,Date,Text\n"
    for i in 1...20 { csv += "r\(i),Person \(i),Acme Inc.,2021-03-0\(1 + i % 9),Text \(i)\n" }
    let file = try scratch.write("input.csv", csv)
    let report = try db.store.importSubmissions(
      MappedCSVSource(file, mapping: mapping), into: Scenario.slug, language: "en", actor: "i")
    #expect(report.added == 20 && report.organisationsAdded == 1 && report.personsAdded == 20)
    #expect(try int(db, "SELECT count(*) AS n FROM contributions WHERE source LIKE 'csv:%' AND language = 'en'") == 20)
    let again = try db.store.importSubmissions(MappedCSVSource(file, mapping: mapping), into: Scenario.slug, actor: "i")
    #expect(again.added == 0 && again.unchanged == 20)

    let before = try counts(db)
    let bad = try scratch.write(
      "bad.csv", csv.replacingOccurrences(of: "r20,", with: "r21,") + "r22,X,,2021-13-01,Late\n")
    let error = try #require(throws: ImportError.self) {
      try db.store.importSubmissions(MappedCSVSource(bad, mapping: mapping), into: Scenario.slug, actor: "i")
    }
    #expect(error.line == 22 && error.column == "Date")
    #expect(try counts(db) == before)
  }

  @Test("every format refuses a malformed file whole and changes nothing", arguments: ["decidim", "have-your-say"])
  func malformed(_ format: String) throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let scratch = try ScratchDirectory()
    let before = try counts(db)
    let source: any SubmissionSource
    if format == "decidim" {
      source = DecidimSource(
        try scratch.write(
          "c.csv", decidimHeader + (1...30).map { decidimRow($0) }.joined() + decidimRow(31, created: "soon")))
    } else {
      source = HaveYourSaySource(
        try scratch.write(
          "f.json", "[" + (1...30).map { feedback($0) }.joined(separator: ",") + "," + feedback(31, text: " ") + "]"))
    }
    let error = try #require(throws: ImportError.self) {
      try db.store.importSubmissions(source, into: Scenario.slug, actor: "i")
    }
    #expect(error.line != nil && error.column != nil)
    #expect(try counts(db) == before)
  }

  @Test("skipping invalid records imports the rest and reports each; file-level errors still refuse")
  func skipInvalid() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let scratch = try ScratchDirectory()
    let file = try scratch.write(
      "c.csv",
      decidimHeader + decidimRow(1) + decidimRow(2, created: "soon") + decidimRow(3) + "4;x\n" + decidimRow(5))
    var rejected: [ImportError] = []
    let report = try db.store.importSubmissions(
      DecidimSource(file), into: Scenario.slug, actor: "i", invalid: { rejected.append($0) })
    #expect(report.added == 3 && report.invalid == 2 && report.rowsRead == 3)
    #expect(rejected.map(\.line) == [3, 5])
    #expect(rejected.map(\.column) == ["created_at", nil])
    #expect(try int(db, "SELECT count(*) AS n FROM contributions WHERE source LIKE 'decidim:%'") == 3)

    let before = try counts(db)
    let broken = try scratch.write("broken.csv", decidimHeader + decidimRow(6) + "7;\"never closed\n")
    #expect(throws: ImportError.self) {
      try db.store.importSubmissions(DecidimSource(broken), into: Scenario.slug, actor: "i", invalid: { _ in })
    }
    #expect(try counts(db) == before)
  }
}
