import ConsultImport
import ConsultStore
import Foundation
import Postgres
import Testing

@Suite("Importing regulations.gov comments")
struct ImportTests {
  @Test(
    "the real USDA-2017-0002 docket imports 199 submissions once",
    .enabled(if: Scenario.regulationsGovData != nil, "../shared/realdata is not present"))
  func realDocket() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let source = try RegulationsGovSource.locate(try #require(Scenario.regulationsGovData))
    let first = try db.store.importRegulationsGov(source, into: Scenario.slug, actor: "importer")
    #expect(first.rowsRead == 200)
    #expect(first.skipped == ["USDA-2017-0002-0001"])
    #expect(first.added == 199)
    #expect(first.organisationsAdded == 9)
    #expect(first.personsAdded > 150)
    let written = try db.store.connection.query(
      "SELECT count(*) AS n FROM contributions WHERE kind = 'written-submission' AND source = 'regulations-gov'")
    #expect(try written.rows[0].decode("n", as: Int.self) == 199)
    // Logged by one import-batch event (migration 0040) naming its 199 rows.
    let logged = try db.store.connection.query(
      """
      SELECT count(*) AS events, sum((data ->> 'rows')::int) AS n FROM events
      WHERE entity_kind = 'contribution-batch' AND reason LIKE 'import %'
      """)
    #expect(try logged.rows[0].decode("n", as: Int.self) == 199)
    #expect(try logged.rows[0].decode("events", as: Int.self) == 1)
    // The organisation with a trailing comma in its name is one stakeholder without it.
    let glenn = try db.store.connection.query(
      "SELECT name FROM stakeholders WHERE kind = 'organisation' AND match_key = consult_match_key($1)",
      ["glenn's market & catering"])
    #expect(glenn.count == 1)

    let again = try db.store.importRegulationsGov(source, into: Scenario.slug, actor: "importer")
    #expect(again.added == 0)
    #expect(again.unchanged == 199)
    #expect(again.organisationsAdded == 0 && again.personsAdded == 0)
    let stillWritten = try db.store.connection.query(
      "SELECT count(*) AS n FROM contributions WHERE source = 'regulations-gov'")
    #expect(try stillWritten.rows[0].decode("n", as: Int.self) == 199)

    // The export counts them without naming the people who wrote them.
    let data = try db.store.proceedings(of: Scenario.slug)
    #expect(data.writtenTotal == 199)
    #expect(data.writtenOrganisations.contains { $0.name == "Duke University" })
  }

  @Test("a malformed file changes nothing, even when the error comes after valid rows")
  func malformed() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let tables = ["contributions", "stakeholders", "events", "imports"]
    let before = try tables.map { try db.count($0) }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consult-import-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let header =
      "Document Title,Document Type,Attachment Count,Submitter Last Name,Submitter First Name,Organization,Document ID,Posted Date,Received Date"
    var docket = "Docket ID,Docket Title\nX-1,Example\n,\n" + header + "\n"
    for i in 1...50 {
      docket += "Comment \(i),PUBLIC SUBMISSIONS,N/A,Doe,Jo,Acme Inc.,X-1-\(i),6/7/2018,6/5/2018\n"
    }
    docket += "Comment 51,PUBLIC SUBMISSIONS,N/A,Roe,Al,N/A,X-1-51,6/7/2018,31/31/2018\n"
    var texts = "Document ID,Text Comment\n"
    for i in 1...51 { texts += "X-1-\(i),\"Text \(i)\"\n" }
    try docket.write(to: directory.appendingPathComponent("docket.csv"), atomically: true, encoding: .utf8)
    try texts.write(to: directory.appendingPathComponent("texts.csv"), atomically: true, encoding: .utf8)
    let source = try RegulationsGovSource.locate(directory)
    let error = try #require(throws: ImportError.self) {
      try db.store.importRegulationsGov(source, into: Scenario.slug, actor: "importer")
    }
    #expect(error.line == 55)
    #expect(error.description.contains("31/31/2018"))
    #expect(try tables.map { try db.count($0) } == before)

    // Broken quoting in the texts file: refused before anything is written.
    try (texts + "X-1-52,\"unterminated\n").write(
      to: directory.appendingPathComponent("texts.csv"), atomically: true, encoding: .utf8)
    #expect(throws: ImportError.self) {
      try db.store.importRegulationsGov(try RegulationsGovSource.locate(directory), into: Scenario.slug, actor: "x")
    }
    #expect(try tables.map { try db.count($0) } == before)
  }
}

@Suite("Importing Polis comments")
struct PolisImportTests {
  static var austria: URL? {
    Scenario.regulationsGovData?.deletingLastPathComponent()
      .appendingPathComponent("polis/austria-climate.5twd2jsnkf.2022-08-08")
  }

  @Test(
    "the Klimarat comments import once; moderated-out ones are kept but never published",
    .enabled(if: Scenario.regulationsGovData != nil, "../shared/realdata is not present"))
  func austria() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let source = PolisSource(try #require(Self.austria))
    let report = try db.store.importSubmissions(source, into: Scenario.slug, language: "de", actor: "importer")
    #expect(report.rowsRead == 522)
    #expect(report.added == 522)
    #expect(report.personsAdded == 197)
    #expect(report.rejectedByModeration == 245)
    let withheld = try db.store.connection.query(
      "SELECT count(*) AS n FROM contributions WHERE source LIKE 'polis:%' AND attribution = 'not-for-publication'")
    #expect(try withheld.rows[0].decode("n", as: Int.self) == 245)
    let german = try db.store.connection.query(
      "SELECT count(*) AS n FROM contributions WHERE source LIKE 'polis:%' AND language = 'de'")
    #expect(try german.rows[0].decode("n", as: Int.self) == 522)
    let again = try db.store.importSubmissions(source, into: Scenario.slug, language: "de", actor: "importer")
    #expect(again.added == 0 && again.personsAdded == 0 && again.unchanged == 522)
    // A second consultation gets its own pseudonymous persons (author ids are per conversation).
    let workflow = try db.store.resolveWorkflow(Scenario.workflowFile.path)
    _ = try db.store.openConsultation(slug: "klimarat", title: "Klimarat", owner: nil, workflow: workflow, actor: "x")
    #expect(try db.store.importSubmissions(source, into: "klimarat", actor: "importer").personsAdded == 197)
  }
}

@Suite("Importing regulations.gov with --skip-invalid")
struct RegulationsGovSkipTests {
  @Test("bad docket rows and texts without a docket row are reported; the rest is imported")
  func skipInvalid() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("consult-skip-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let header =
      "Document Title,Document Type,Attachment Count,Submitter Last Name,Submitter First Name,Organization,Document ID,Posted Date,Received Date"
    let docket =
      [
        "Docket ID,Docket Title", "X-1,Example", ",", header,
        "C1,PUBLIC SUBMISSIONS,N/A,Doe,Jo,N/A,X-1-1,6/7/2018,6/5/2018",
        "C2,PUBLIC SUBMISSIONS,N/A,Roe,Al,N/A,X-1-2,6/7/2018,31/31/2018",
        "C3,PUBLIC SUBMISSIONS,N/A,Poe,Ed,N/A,X-1-1,6/7/2018,6/5/2018",
        "C4,PUBLIC SUBMISSIONS,N/A,Moe,Cy,N/A,X-1-4,6/7/2018,6/6/2018",
      ].joined(separator: "\n") + "\n"
    let texts = "Document ID,Text Comment\nX-1-1,One\nX-1-2,Two\nX-1-4,Four\nX-1-9,Orphan\n"
    try docket.write(to: directory.appendingPathComponent("docket.csv"), atomically: true, encoding: .utf8)
    try texts.write(to: directory.appendingPathComponent("texts.csv"), atomically: true, encoding: .utf8)
    var rejected: [ImportError] = []
    let report = try db.store.importSubmissions(
      try RegulationsGovSource.locate(directory), into: Scenario.slug, actor: "i", invalid: { rejected.append($0) })
    #expect(report.added == 2)
    #expect(rejected.map(\.line) == [6, 7, 5])
    #expect(rejected[0].description.contains("31/31/2018"))
    #expect(rejected[1].description.contains("duplicate Document ID"))
    #expect(rejected[2].description.contains("X-1-9"))
    // Without skipping, the same files are refused whole.
    let fresh = try TestDatabase()
    try Scenario.build(fresh.store)
    #expect(throws: ImportError.self) {
      try fresh.store.importSubmissions(try RegulationsGovSource.locate(directory), into: Scenario.slug, actor: "i")
    }
  }
}
