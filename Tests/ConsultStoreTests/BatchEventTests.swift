import ConsultCore
import ConsultImport
import ConsultStore
import Foundation
import Postgres
import Testing

/// One event per import batch (issue 13, migration 0040): the batch event creates each of its
/// contributions, `log verify` checks every one of them through it, and a contribution's later
/// events chain from it.
@Suite("Import batch events")
struct BatchEventTests {
  static let mapping = "id: Ref\ntext: Comment\nauthor: Name\n"
  static let rows = """
    Ref,Comment,Name
    1,Keep the internet open.,Alice Example
    2,Net neutrality matters to small firms.,Bob Example
    3,Please protect net neutrality.,Carol Example
    4,Keep the internet open.,Dan Example
    5,I oppose the repeal.,Alice Example

    """

  /// The scenario with the five rows imported (in batches of `batchSize` with `resume`, else all
  /// or nothing); returns the database.
  static func imported(batchSize: Int? = nil, firstID: Int? = nil) throws -> TestDatabase {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    if let firstID {
      try db.store.connection.execute("ALTER TABLE contributions ALTER COLUMN id RESTART WITH \(firstID)")
    }
    let scratch = try ScratchDirectory()
    let file = try scratch.write("docket.csv", rows)
    let source = MappedCSVSource(file, mapping: try CSVMapping.parse(mapping, file: "mapping.yaml"))
    let report = try db.store.importSubmissions(
      source, into: Scenario.slug, actor: "editor", resume: batchSize.map { ImportBatching(batchSize: $0) })
    #expect(report.added == 5)
    return db
  }

  /// The imported contributions' ids, in id order.
  static func importedIDs(_ db: TestDatabase) throws -> [Int64] {
    try db.store.connection.query("SELECT id FROM contributions WHERE batch_id IS NOT NULL ORDER BY id").map {
      try $0.decode("id")
    }
  }

  /// Every broken link and replay discrepancy, as text.
  static func findings(_ result: LogVerification) -> [String] {
    result.brokenLinks.map(\.description) + result.replay.discrepancies.map(\.description)
  }

  @Test("an import logs one event for its batch, pinning the rows, and verifies")
  func oneEventPerBatch() throws {
    let db = try Self.imported()
    let events = try db.store.connection.query(
      """
      SELECT entity_kind, event, from_state, to_state, data ->> 'rows' AS n, data ->> 'contributions' AS ids,
             encode(content_hash, 'hex') AS content
      FROM events
      WHERE entity_kind = 'contribution-batch'
         OR (entity_kind = 'contribution' AND entity_id IN (SELECT id FROM contributions WHERE batch_id IS NOT NULL))
      """)
    #expect(events.count == 1)
    let event = events.rows[0]
    #expect(try event.decode("entity_kind", as: String.self) == "contribution-batch")
    #expect(try event.decode("event", as: String.self) == "import")
    #expect(try event.decode("to_state", as: String.self) == "received")
    #expect(try event.decode("n", as: String.self) == "5")
    let ids = try Self.importedIDs(db)
    #expect(try event.decode("ids", as: String.self) == "[[\(ids[0]), \(ids[4])]]")
    // The batch hash, recomputed here from its documented canonical form.
    let canonical = try db.store.connection.query(
      """
      SELECT encode(sha256(convert_to('consult-contribution-batch-1;' || string_agg(
        length(id::text) || ':' || id || ';64:'
        || encode(consult_contribution_content(text, attribution, stakeholder_id), 'hex') || ';', '' ORDER BY id),
        'UTF8')), 'hex') AS h
      FROM contributions WHERE batch_id IS NOT NULL
      """
    ).rows[0].decode("h", as: String.self)
    #expect(try event.decode("content", as: String.self) == canonical)
    let result = try db.store.verifyLog(of: Scenario.slug, digest: try db.store.recordDigest(of: Scenario.slug))
    #expect(result.isIntact, "\(Self.findings(result))")
    // The contributions' log shows the batch that created them.
    let log = try db.store.eventLog(of: Scenario.slug, kinds: [.contribution])
    #expect(
      log.contains {
        $0.entityKind == "contribution-batch" && $0.event == "import"
          && $0.entity.hasSuffix("(5 contributions: #\(ids[0])-\(ids[4]))")
      }, "\(log.map(\.entity))")
    // Importing again adds nothing and logs nothing.
    let scratch = try ScratchDirectory()
    let again = try db.store.importSubmissions(
      MappedCSVSource(
        try scratch.write("docket.csv", Self.rows), mapping: try CSVMapping.parse(Self.mapping, file: "m.yaml")),
      into: Scenario.slug, actor: "editor")
    #expect(again.added == 0 && again.unchanged == 5)
    #expect(
      try db.store.connection.query("SELECT count(*) AS n FROM events WHERE entity_kind = 'contribution-batch'")
        .rows[0].decode("n", as: Int.self) == 1)
  }

  /// Tampering with imported rows or their batch event, as a superuser would; each reported by
  /// `log verify` naming the contribution (or the batch event).
  static let tampering: [(name: String, sql: String, kind: String)] = [
    (
      "editing an imported row's text",
      "UPDATE contributions SET text = 'Repeal it.' WHERE id = (SELECT min(id) + 1 FROM contributions WHERE batch_id IS NOT NULL)",
      "contribution"
    ),
    (
      "deleting an imported row",
      "DELETE FROM contributions WHERE id = (SELECT min(id) + 2 FROM contributions WHERE batch_id IS NOT NULL)",
      "contribution"
    ),
    (
      "inserting a row into a batch",
      """
      INSERT INTO contributions (consultation_id, kind, text, attribution, source, received_at, state, batch_id,
                                 batch_content_hash)
      SELECT consultation_id, kind, 'Forged.', attribution, source, received_at, state, batch_id,
             consult_contribution_content('Forged.', attribution, stakeholder_id)
      FROM contributions WHERE batch_id IS NOT NULL ORDER BY id LIMIT 1
      """,
      "contribution"
    ),
    (
      "editing the batch event",
      "UPDATE events SET reason = 'import other.csv' WHERE entity_kind = 'contribution-batch'",
      "contribution-batch"
    ),
  ]

  @Test("tampering with an imported row or its batch event is reported", arguments: tampering.indices)
  func tampered(index: Int) throws {
    let db = try Self.imported()
    let ids = try Self.importedIDs(db)
    let (name, sql, kind) = Self.tampering[index]
    let entity: Int64 =
      switch index {
      case 0: ids[1]
      case 1: ids[2]
      case 2: ids[4] + 1
      default:
        try db.store.connection.query("SELECT batch_id AS b FROM contributions WHERE batch_id IS NOT NULL LIMIT 1")
          .rows[0].decode("b")
      }
    try LogVerificationTests.tamper(db, sql)
    if index == 2 {
      #expect(try db.store.connection.query("SELECT max(id) AS m FROM contributions").rows[0].decode("m") == entity)
    }
    let result = try db.store.verifyLog(of: Scenario.slug)
    #expect(!result.isIntact, "\(name) went unnoticed")
    #expect(
      result.brokenLinks.contains { $0.entityKind == kind && $0.entityID == entity },
      "\(name): \(Self.findings(result))")
  }

  @Test("a transition on an imported row chains from the batch event")
  func transitionChains() throws {
    let db = try Self.imported()
    let ids = try Self.importedIDs(db)
    try db.store.advanceContributions("accept", in: Scenario.slug, ids: [ids[0]], actor: "editor")
    let link = try db.store.connection.query(
      """
      SELECT e.prev_hash = b.hash AS linked, e.from_state FROM events e
      JOIN contributions k ON k.id = e.entity_id
      JOIN events b ON b.entity_kind = 'contribution-batch' AND b.entity_id = k.batch_id
      WHERE e.entity_kind = 'contribution' AND e.entity_id = $1
      """, [ids[0]]
    ).rows
    #expect(link.count == 1)
    #expect(try link[0].decode("linked", as: Bool.self))
    #expect(try link[0].decode("from_state", as: String.self) == "received")
    let result = try db.store.verifyLog(of: Scenario.slug)
    #expect(result.isIntact, "\(Self.findings(result))")
    // Unlinking it from the batch is caught.
    try LogVerificationTests.tamper(
      db, "UPDATE events SET prev_hash = NULL WHERE entity_kind = 'contribution' AND entity_id = \(ids[0])")
    #expect(
      try db.store.verifyLog(of: Scenario.slug).brokenLinks.contains {
        $0.entityKind == "contribution" && $0.entityID == ids[0]
      })
  }

  @Test("a resumable import logs one event per committed batch, and verifies")
  func resumeBatches() throws {
    let db = try Self.imported(batchSize: 2)
    #expect(
      try db.store.connection.query(
        "SELECT count(*) AS n FROM events WHERE entity_kind = 'contribution-batch'"
      ).rows[0].decode("n", as: Int.self) == 3)
    let result = try db.store.verifyLog(of: Scenario.slug)
    #expect(result.isIntact, "\(Self.findings(result))")
  }

  @Test("redaction, a changed text and erasure of an imported row's author still verify")
  func laterChangesVerify() throws {
    let db = try Self.imported()
    let ids = try Self.importedIDs(db)
    // A changed text recorded by a re-import.
    let scratch = try ScratchDirectory()
    let changed = Self.rows.replacingOccurrences(
      of: "I oppose the repeal.", with: "I oppose the repeal; Alice says so.")
    let report = try db.store.importSubmissions(
      MappedCSVSource(
        try scratch.write("docket.csv", changed), mapping: try CSVMapping.parse(Self.mapping, file: "m.yaml")),
      into: Scenario.slug, actor: "editor", updateChanged: true)
    #expect(report.changed.count == 1 && report.updated)
    // A redaction of an imported row (its text pinned so far by the batch only).
    _ = try db.store.redactContribution(
      ids[2], in: Scenario.slug, span: .text("Please", every: false), reason: .personalData, note: nil,
      actor: "editor")
    var result = try db.store.verifyLog(of: Scenario.slug)
    #expect(result.isIntact, "\(Self.findings(result))")
    // Erasure of the person behind rows 1 and 5 (imported).
    let alice: Int64 = try db.store.connection.query(
      "SELECT stakeholder_id AS s FROM contributions WHERE id = $1", [ids[0]]
    ).rows[0].decode("s")
    let admin = try RoleTests.store(db, as: "consult_admin")
    let erased = try admin.forgetStakeholder("#\(alice)", reason: "erasure request", actor: "admin")
    #expect(erased.contributions >= 1)
    result = try db.store.verifyLog(of: Scenario.slug)
    #expect(result.isIntact, "\(Self.findings(result))")
    #expect(try db.store.verifyLog().isIntact)
    // Editing the erased row afterwards is still caught.
    try LogVerificationTests.tamper(db, "UPDATE contributions SET text = 'x' WHERE id = \(ids[0])")
    #expect(try db.store.verifyLog(of: Scenario.slug).brokenLinks.contains { $0.entityID == ids[0] })
  }

  @Test("the inlined content hash (migration 0041) gives 0012's bytes, NULLs and multibyte text included")
  func contentHashUnchanged() throws {
    let db = try TestDatabase()
    let rows = try db.store.connection.query(
      """
      SELECT count(*) FILTER (
               WHERE consult_contribution_content(b, a, s) IS DISTINCT FROM sha256(convert_to(
                 'consult-contribution-1;' || consult_field(b) || consult_field(a) || consult_field(s::text), 'UTF8')))
               AS n,
             count(*) AS total
      FROM unnest(ARRAY['Keep it open.', NULL, '', 'Grüße, 日本語 ✓', repeat('x', 5000)]) b
      CROSS JOIN unnest(ARRAY['organisation', NULL, 'named']) a
      CROSS JOIN unnest(ARRAY[NULL, 1, 1234567890123]::bigint[]) s
      """)
    #expect(try rows.rows[0].decode("total", as: Int.self) == 45)
    #expect(try rows.rows[0].decode("n", as: Int.self) == 0)
  }

  @Test("an erasure whose string is a number leaves the batch's list of ids readable, and the record verifies")
  func erasureOfANumberKeepsTheBatchReadable() throws {
    let db = try Self.imported(firstID: 4711)
    let ids = try Self.importedIDs(db)
    #expect(ids.first == 4711)
    let person: Int64 = try db.store.connection.query(
      "SELECT stakeholder_id AS s FROM contributions WHERE id = $1", [ids[0]]
    ).rows[0].decode("s")
    // 4715, the last id of the batch's one run [[4711, 4715]], given as an identifying string.
    _ = try db.store.forgetStakeholder(
      "#\(person)", reason: "request", actor: "admin", alsoIdentifying: [String(ids[4])])
    let runs: String = try db.store.connection.query(
      "SELECT data ->> 'contributions' AS r FROM events WHERE entity_kind = 'contribution-batch'"
    ).rows[0].decode("r")
    #expect(runs == "[[4711, 4715]]")
    let result = try db.store.verifyLog(of: Scenario.slug)
    #expect(result.isIntact, "\(Self.findings(result))")
  }

  @Test("an imported row moved to another consultation is reported when that consultation is verified")
  func movedRowIsReportedWhereItLands() throws {
    let db = try Self.imported()
    let ids = try Self.importedIDs(db)
    _ = try db.store.openConsultation(
      slug: "other", title: "Other", owner: nil, workflow: try db.store.resolveWorkflow("notice-and-comment"),
      actor: "planner")
    try db.store.connection.execute(
      "UPDATE contributions SET consultation_id = (SELECT id FROM consultations WHERE slug = 'other') WHERE id = $1",
      [ids[2]])
    let there = try db.store.verifyLog(of: "other")
    #expect(!there.isIntact)
    #expect(Self.findings(there).contains { $0.contains("#\(ids[2])") }, "\(Self.findings(there))")
    #expect(!(try db.store.verifyLog(of: Scenario.slug).isIntact))
  }

  @Test(
    "a batch event whose id list was forged (billions of ids, or not a list at all) is reported at once, not expanded",
    arguments: ["'[[1, 5], [9000000000, 9900000000]]'", "'\"1-5\"'", "'{\"a\": 1}'"])
  func forgedHugeRunIsReportedWithoutExpanding(_ forged: String) throws {
    let db = try Self.imported()
    try db.store.connection.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
    try db.store.connection.execute(
      """
      UPDATE events SET data = jsonb_set(data, '{contributions}', \(forged))
      WHERE entity_kind = 'contribution-batch'
      """)
    try db.store.connection.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")
    let started = Date()
    let result = try db.store.verifyLog(of: Scenario.slug)
    #expect(Date().timeIntervalSince(started) < 30)
    #expect(!result.isIntact)
    #expect(
      Self.findings(result).contains { $0.contains("does not list its contributions") }, "\(Self.findings(result))")
  }

}
