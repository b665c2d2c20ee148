import ConsultImport
import ConsultStore
import Foundation
import Postgres
import Testing

/// Migration 0008: the faster normalisation gives 0002's result, and a contribution's fingerprint
/// and search vector are the same whether the trigger or the import computed them.
@Suite("Derived columns: campaign fingerprint and search vector")
struct DerivedColumnsTests {
  /// Texts that exercise every step of the normalisation and every shortcut 0008 takes.
  static let edgeCases = [
    "  Hello,\t World!!  \r\nRe: Docket USDA-2017-0002",
    "Protect the Rhine &amp; its floodplains &amp;lt;now&gt; &quot;please&quot; &#39;x&#39; &apos;y&apos;&nbsp;z",
    "A\u{00A0}B\u{2003}C\u{3000}D", "ﬁne ｆｕｌｌｗｉｄｔｈ Ⅻ", "Café Cafe\u{0301}", "a \u{2028} b", "…", "x\n\nRe: y",
    "Re: only a subject line", "tab\there", "line\nbreak", "double  space", " leading", "trailing ",
    "«Guillemets» — dashes – and ‘quotes’ “here”", "ÄÖÜ ß İstanbul", "計程車 support", "", "   ",
    "See attached file(s)", "Please write your comment here",
  ]

  /// Every comment of the real files in `../shared/realdata` (regulations.gov, both Polis
  /// conversations), when present, plus ``edgeCases``.
  static func texts() throws -> [String] {
    var texts = edgeCases
    if let docket = Scenario.regulationsGovData {
      try RegulationsGovSource.locate(docket).read(invalid: { throw $0 }, { texts.append($0.text ?? "") })
      let polis = docket.deletingLastPathComponent().appendingPathComponent("polis")
      for name in (try? FileManager.default.contentsOfDirectory(atPath: polis.path)) ?? [] {
        try PolisSource(polis.appendingPathComponent(name)).read(invalid: { _ in }, { texts.append($0.text ?? "") })
      }
    }
    return texts
  }

  @Test("0008's normalisation gives 0002's result for every real comment and each edge case")
  func normalisationUnchanged() throws {
    let db = try TestDatabase()
    // 0002's definition, as that migration created it, under another name.
    let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Sources/ConsultStore/Resources/Schema")
    let migration = try String(
      contentsOf: schema.appendingPathComponent("0002_campaigns_and_search.sql"), encoding: .utf8)
    let start = try #require(migration.range(of: "CREATE FUNCTION consult_normalise_text(")).lowerBound
    let end = try #require(migration.range(of: "$$;", range: start..<migration.endIndex)).upperBound
    try db.store.connection.execute(
      migration[start..<end].replacingOccurrences(
        of: "consult_normalise_text(", with: "consult_normalise_text_0002("))

    let texts = try Self.texts()
    var differing: [String] = []
    for text in texts {
      let row = try db.store.connection.query(
        "SELECT consult_normalise_text($1) AS now, consult_normalise_text_0002($1) AS before", [text]
      ).rows[0]
      if try row.decode("now", as: String?.self) != row.decode("before", as: String?.self) { differing.append(text) }
    }
    #expect(differing == [])
    #expect(texts.count > Self.edgeCases.count || Scenario.regulationsGovData == nil)
  }

  @Test("a recorded contribution gets both columns from the trigger; a changed text or language recomputes them")
  func triggerFillsAndRecomputes() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let written = try CampaignSearchTests.write(db.store, "Protect the RHINE, please!", at: 1)
    let stale = """
      SELECT count(*) AS n FROM contributions
      WHERE fingerprint IS DISTINCT FROM consult_text_fingerprint(text)
         OR search_vector IS DISTINCT FROM to_tsvector(consult_text_search_config(language), text)
      """
    #expect(try db.store.connection.query(stale).rows[0].decode("n", as: Int.self) == 0)
    let before = try db.store.connection.query(
      "SELECT fingerprint, search_vector::text AS v FROM contributions WHERE id = $1", [written.id]
    ).rows[0]
    #expect(try before.decode("v", as: String.self).contains("'rhine'"))

    try db.store.connection.execute(
      "UPDATE contributions SET text = 'Schützt den Rhein', language = 'de' WHERE id = $1", [written.id])
    let after = try db.store.connection.query(
      "SELECT fingerprint, search_vector::text AS v FROM contributions WHERE id = $1", [written.id]
    ).rows[0]
    #expect(try after.decode("fingerprint", as: String?.self) != before.decode("fingerprint", as: String?.self))
    #expect(try after.decode("v", as: String.self).contains("'rhein'"))
    #expect(try db.store.connection.query(stale).rows[0].decode("n", as: Int.self) == 0)
  }

  @Test("imported contributions carry the fingerprint and search vector the trigger would compute")
  func importComputesTheSameValues() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let scratch = try ScratchDirectory()
    // Polis rows have no language: with --language the default must reach the search vector.
    let polis = try scratch.write(
      "comments.csv",
      """
      timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body
      1600000001000,,1,7,0,0,0,Die Häuser müssen geschützt werden
      1600000002000,,2,8,0,0,1,"Die  Häuser müssen GESCHÜTZT werden!"
      1600000003000,,3,9,0,0,-1,See attached file(s)

      """)
    let report = try db.store.importSubmissions(
      PolisSource(polis), into: Scenario.slug, language: "de", actor: "importer")
    #expect(report.added == 3)
    let rows = try db.store.connection.query(
      """
      SELECT language, fingerprint, search_vector::text AS v,
             fingerprint IS NOT DISTINCT FROM consult_text_fingerprint(text) AS same_fingerprint,
             search_vector = to_tsvector(consult_text_search_config(language), text) AS same_vector
      FROM contributions WHERE source LIKE 'polis:%' ORDER BY source_id
      """
    ).rows
    #expect(try rows.map { try $0.decode("language", as: String?.self) } == ["de", "de", "de"])
    #expect(try rows.allSatisfy { try $0.decode("same_fingerprint", as: Bool.self) })
    #expect(try rows.allSatisfy { try $0.decode("same_vector", as: Bool.self) })
    // German stemming (the `de` configuration), and one campaign of two; the placeholder has none.
    #expect(try rows[0].decode("v", as: String.self).contains("'geschutzt'"))
    #expect(try rows[0].decode("fingerprint", as: String?.self) == rows[1].decode("fingerprint", as: String?.self))
    #expect(try rows[2].decode("fingerprint", as: String?.self) == nil)
    #expect(try db.store.campaigns(in: Scenario.slug).map(\.size) == [2])
  }

  @Test("upgrading a database with contributions to 0008 keeps their values; later ones join their campaigns")
  func upgradeKeepsStoredValues() throws {
    let db = try TestDatabase(through: 7)
    let id = try db.legacyConsultation(Scenario.slug)
    for second in 1...2 { try db.legacyContribution(id, text: "Protect the Rhine!", seconds: Double(second)) }
    let snapshot = """
      SELECT string_agg(id || ' ' || coalesce(fingerprint, '-') || ' ' || search_vector::text, E'\n' ORDER BY id)
        AS rows FROM contributions
      """
    let before: String = try db.store.connection.query(snapshot).rows[0].decode("rows")

    let applied = try Migrator().migrate(on: db.store.connection)
    #expect(applied.map(\.number).contains(8))
    #expect(try db.store.connection.query(snapshot).rows[0].decode("rows", as: String.self) == before)

    try CampaignSearchTests.write(db.store, "protect  the RHINE", at: 3)
    #expect(try db.store.campaigns(in: Scenario.slug).map(\.size) == [3])
    #expect(try db.store.searchContributions(in: Scenario.slug, query: "rhine").count == 3)
  }
}
