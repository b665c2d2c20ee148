import ConsultCore
import ConsultImport
import ConsultStore
import Foundation
import Postgres
import Testing

/// Re-importing a source after an erasure or a redaction (migration 0050): the erased stay erased,
/// what consult changed stays changed.
@Suite("Re-import after erasure and redaction")
struct ReimportPrivacyTests {
  static let mapping = "id: id\ntext: text\nauthor: name\nauthor-id: author\norganisation: org\n"

  /// A submissions CSV: Zed Zxzrvxmho (author z1, of Zxzr Holdings) wrote two rows, another person
  /// names him in a third, a fourth is unrelated; `extra` rows are appended.
  static func csv(extra: String = "") -> String {
    """
    id,name,author,org,text
    1,Zed Zxzrvxmho,z1,Zxzr Holdings,"I, Zed Zxzrvxmho, ask for simpler rules."
    2,Zed Zxzrvxmho,z1,Zxzr Holdings,More from zxzrvxmho: fewer forms please.
    3,Ann Other,a2,,I agree with what Mr Zxzrvxmho said about forms.
    4,Bea Third,b3,,Nothing to add but thanks.

    """ + extra
  }

  /// How many stored strings (stakeholders, contributions, revisions, redaction notes, events)
  /// match `pattern` (a POSIX regular expression, case-insensitive).
  static func occurrences(_ db: TestDatabase, _ pattern: String) throws -> Int {
    try db.store.connection.query(
      """
      SELECT (SELECT count(*) FROM stakeholders WHERE name ~* $1 OR source_key ~* $1 OR match_key ~* $1)
           + (SELECT count(*) FROM contributions WHERE text ~* $1 OR title ~* $1)
           + (SELECT count(*) FROM contribution_revisions WHERE text ~* $1 OR reason ~* $1)
           + (SELECT count(*) FROM events WHERE reason ~* $1 OR data::text ~* $1) AS n
      """, [pattern]
    ).rows[0].decode("n")
  }

  @Test("a forgotten person and organisation are not imported again, plain or --update-changed; log verify passes")
  func erasedPersonStaysErased() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let editor = try RoleTests.store(db, as: "consult_editor")
    let scratch = try ScratchDirectory()
    let mapping = try CSVMapping.parse(Self.mapping, file: "mapping.yaml")
    let file = try scratch.write("submissions.csv", Self.csv())
    let first = try editor.importSubmissions(
      MappedCSVSource(file, mapping: mapping), into: Scenario.slug, language: "en", actor: "importer")
    #expect(first.added == 4 && first.personsAdded == 3 && first.organisationsAdded == 1)
    func stakeholder(_ name: String) throws -> Int64 {
      try db.store.connection.query("SELECT id FROM stakeholders WHERE name = $1", [name]).rows[0].decode("id")
    }
    let admin = try RoleTests.store(db, as: "consult_admin")
    let person = try admin.forgetStakeholder(
      "#\(try stakeholder("Zed Zxzrvxmho"))", reason: "request", actor: "admin", alsoIdentifying: ["zxzrvxmho"])
    _ = try admin.forgetStakeholder("#\(try stakeholder("Zxzr Holdings"))", reason: "request", actor: "admin")
    #expect(person.contributions == 3)
    #expect(try Self.occurrences(db, "zxzr") == 0)
    let stakeholders = try db.count("stakeholders")

    for updateChanged in [false, true] {
      let again = try editor.importSubmissions(
        MappedCSVSource(file, mapping: mapping), into: Scenario.slug, language: "en", actor: "importer",
        updateChanged: updateChanged)
      // Rows 1-3 were rewritten by the erasure: kept as they are, not "changed at the source".
      #expect(again.added == 0 && again.changed.isEmpty && !again.updated, "\(again)")
      #expect(again.keptErasedOrRedacted == 3 && again.unchanged == 1 && again.skippedErased == 0, "\(again)")
      #expect(again.personsAdded == 0 && again.organisationsAdded == 0)
      #expect(try db.count("stakeholders") == stakeholders)
      #expect(try Self.occurrences(db, "zxzr") == 0, "the erased strings are back (updateChanged: \(updateChanged))")
      #expect(try db.store.verifyLog(of: Scenario.slug).isIntact)
    }

    // A later file with new rows of the erased person and organisation: skipped, nothing of them
    // stored (imported here in committed batches of 2, --resume, which apply the same rules).
    let later = try scratch.write(
      "submissions.csv",
      Self.csv(
        extra: """
          5,Zed Zxzrvxmho,z1,,Zxzrvxmho once more.
          6,Cy Fourth,c4,Zxzr Holdings,Zxzr Holdings employee here.
          7,Dee Fifth,d5,,A new voice.

          """))
    let third = try editor.importSubmissions(
      MappedCSVSource(later, mapping: mapping), into: Scenario.slug, language: "en", actor: "importer",
      updateChanged: true, resume: ImportBatching(batchSize: 2))
    #expect(third.batches == 4)
    #expect(third.added == 1 && third.skippedErased == 2 && third.keptErasedOrRedacted == 3, "\(third)")
    #expect(third.unchanged == 1 && third.changed.isEmpty && third.personsAdded == 1 && third.organisationsAdded == 0)
    #expect(try Self.occurrences(db, "zxzr") == 0)
    #expect(try db.store.verifyLog(of: Scenario.slug).isIntact)
    // The one-way keys are all that is kept: no dump of the database holds the erased strings.
    #expect(try db.count("erased_import_keys") == 2)
    let dump = try pgDump(db.name)
    for string in ["Zxzrvxmho", "zxzrvxmho", "Zxzr Holdings", "zxzr holdings"] {
      #expect(!dump.contains(string), "\(string) is in the pg_dump")
    }
    // The import reads the keys; nobody else does, and nobody writes them.
    let reader = try RoleTests.store(db, as: "consult_reader")
    #expect(RoleTests.refusal(reader, "SELECT * FROM erased_import_keys") == SQLState.insufficientPrivilege)
    #expect(RoleTests.refusal(editor, "DELETE FROM erased_import_keys") == SQLState.insufficientPrivilege)
  }

  @Test("a person keyed per record and erased before migration 0050 is not created again either")
  func erasedBeforeTheMigration() throws {
    let db = try TestDatabase(through: 36)
    try Scenario.build(db.store)
    let scratch = try ScratchDirectory()
    let file = try scratch.write("old.csv", "id,name,text\n1,Zed Zxzrvxmho,I am Zed Zxzrvxmho.\n2,Ann Other,Hello.\n")
    // As an import before 0050 left them (written here through the store and, for the import's
    // keys, by the superuser): a person keyed by consultation, scope and record id.
    let consultation = try db.store.consultation(Scenario.slug).id
    for (row, name, text) in [("1", "Zed Zxzrvxmho", "I am Zed Zxzrvxmho."), ("2", "Ann Other", "Hello.")] {
      try db.store.addStakeholder(handle: "p\(row)", kind: .person, name: name, group: "public", actor: "clerk")
      let written = try db.store.recordContribution(
        NewContribution(text: text, stakeholder: "p\(row)", attribution: .organisation), in: Scenario.slug,
        actor: "clerk")
      try db.store.connection.execute(
        "UPDATE stakeholders SET handle = NULL, source = 'csv', source_key = $1 WHERE handle = $2",
        ["\(consultation):csv:old.csv:record:\(row)", "p\(row)"])
      try db.store.connection.execute(
        "UPDATE contributions SET source = 'csv:old.csv', source_id = $1 WHERE id = $2", [row, written.id])
    }
    let zed: Int64 = try db.store.connection.query("SELECT id FROM stakeholders WHERE name = 'Zed Zxzrvxmho'")
      .rows[0].decode("id")
    _ = try RoleTests.store(db, as: "consult_admin").forgetStakeholder(
      "#\(zed)", reason: "request", actor: "admin")
    try Migrator().migrate(on: db.store.connection)
    #expect(try db.count("erased_import_keys") == 1)
    let mapping = try CSVMapping.parse("id: id\ntext: text\nauthor: name\n", file: "mapping.yaml")
    let again = try RoleTests.store(db, as: "consult_editor").importSubmissions(
      MappedCSVSource(file, mapping: mapping), into: Scenario.slug, language: "en", actor: "importer",
      updateChanged: true)
    #expect(again.added == 0 && again.personsAdded == 0 && again.keptErasedOrRedacted == 1, "\(again)")
    #expect(try Self.occurrences(db, "zxzrvxmho") == 0)
    #expect(try db.store.verifyLog(of: Scenario.slug).isIntact)
  }

  @Test("a redacted imported text is not 'changed at the source'; --update-changed does not bring the span back")
  func redactionSurvivesReimport() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let editor = try RoleTests.store(db, as: "consult_editor")
    let scratch = try ScratchDirectory()
    let mapping = try CSVMapping.parse(Self.mapping, file: "mapping.yaml")
    let file = try scratch.write(
      "submissions.csv",
      """
      id,name,author,org,text
      1,Ann Other,a2,,Write to me at 12 Elm Street. I want fewer forms.
      2,Bea Third,b3,,Nothing to add but thanks.

      """)
    _ = try editor.importSubmissions(
      MappedCSVSource(file, mapping: mapping), into: Scenario.slug, language: "en", actor: "importer")
    let id: Int64 = try db.store.connection.query("SELECT id FROM contributions WHERE source_id = '1'").rows[0]
      .decode("id")
    _ = try editor.redactContribution(
      id, in: Scenario.slug, span: .text("12 Elm Street", every: false), reason: .personalData, note: nil,
      actor: "editor")
    for updateChanged in [false, true] {
      let again = try editor.importSubmissions(
        MappedCSVSource(file, mapping: mapping), into: Scenario.slug, language: "en", actor: "importer",
        updateChanged: updateChanged)
      #expect(again.changed.isEmpty && !again.updated && again.keptErasedOrRedacted == 1 && again.unchanged == 1)
      #expect(try Self.occurrences(db, "Elm Street") == 0)
      let text: String = try db.store.connection.query("SELECT text FROM contributions WHERE id = $1", [id]).rows[0]
        .decode("text")
      #expect(text == "Write to me at [redacted: personal data]. I want fewer forms.")
      let exports = try privacyExports(db.store)
      #expect(!exports["contributions.csv"]!.contains("Elm Street"))
      #expect(try db.store.verifyLog(of: Scenario.slug).isIntact)
    }
    // A text changed at the source that consult did not change is still listed and updated.
    let changed = try scratch.write(
      "submissions.csv",
      """
      id,name,author,org,text
      1,Ann Other,a2,,Write to me at 12 Elm Street. I want fewer forms.
      2,Bea Third,b3,,Nothing to add but many thanks.

      """)
    let third = try editor.importSubmissions(
      MappedCSVSource(changed, mapping: mapping), into: Scenario.slug, language: "en", actor: "importer",
      updateChanged: true)
    #expect(third.changed == ["2"] && third.updated && third.keptErasedOrRedacted == 1)
    #expect(try Self.occurrences(db, "Elm Street") == 0)
  }

  @Test(
    "regulations.gov: after forgetting Chad Gregory and United Egg Producers a re-import recreates neither",
    .enabled(if: Scenario.regulationsGovData != nil, "../shared/realdata is not present"))
  func realDocket() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let editor = try RoleTests.store(db, as: "consult_editor")
    let source = try RegulationsGovSource.locate(try #require(Scenario.regulationsGovData))
    let first = try editor.importSubmissions(source, into: Scenario.slug, actor: "importer")
    #expect(first.added == 199)
    func stakeholder(_ name: String) throws -> Int64 {
      try db.store.connection.query("SELECT id FROM stakeholders WHERE name = $1", [name]).rows[0].decode("id")
    }
    let admin = try RoleTests.store(db, as: "consult_admin")
    _ = try admin.forgetStakeholder("#\(try stakeholder("Chad Gregory"))", reason: "request", actor: "admin")
    _ = try admin.forgetStakeholder("#\(try stakeholder("United Egg Producers"))", reason: "request", actor: "admin")
    let pattern = "chad gregory|united egg producers"
    #expect(try Self.occurrences(db, pattern) == 0)
    for updateChanged in [false, true] {
      let again = try editor.importSubmissions(
        source, into: Scenario.slug, actor: "importer", updateChanged: updateChanged)
      #expect(again.added == 0 && again.personsAdded == 0 && again.organisationsAdded == 0, "\(again)")
      // USDA-2017-0002-0301's text named the organisation: kept as the erasure left it.
      #expect(again.changed.isEmpty && again.keptErasedOrRedacted == 1 && again.unchanged == 198, "\(again)")
      #expect(try Self.occurrences(db, pattern) == 0, "updateChanged: \(updateChanged)")
      #expect(try db.store.verifyLog(of: Scenario.slug).isIntact)
    }
  }
}
