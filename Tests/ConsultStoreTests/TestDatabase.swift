import ConsultCore
import ConsultStore
import Foundation
import Postgres
import Testing

/// A fresh, migrated database on the server the test command started
/// (`scripts/test` exports PGHOST & co.), dropped when the test ends.
final class TestDatabase {
  let name: String
  let store: ConsultStore

  /// Creates `consult_test_<random>` and applies every migration, or with `through`, the
  /// migrations numbered up to it (to test an upgrade from that schema), or with `migrated`
  /// false none at all (an empty database, to test the migrator itself).
  init(through lastMigration: Int? = nil, migrated: Bool = true) throws {
    let env = ProcessInfo.processInfo.environment
    try #require(
      env["PGHOST"] != nil || env["CONSULT_DATABASE_URL"] != nil,
      "no PostgreSQL server configured: run the tests with scripts/test (it starts one)")
    name = "consult_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
    let admin = try PostgresConnection(parameters: ["dbname": "postgres"])
    try admin.execute("CREATE DATABASE " + admin.quoteIdentifier(name))
    admin.close()
    store = ConsultStore(connection: try Self.connect(name))
    if !migrated { return }
    defer {
      // The actors the tests record as (registered explicitly, as `consult actor add` would).
      if lastMigration ?? Int.max >= 12 {
        for handle in Self.actors { _ = try? store.registerActor(handle) }
      }
    }
    if let lastMigration {
      let older = try ScratchDirectory()
      for migration in try Migrator().migrations where migration.number <= lastMigration {
        _ = try older.write(migration.fileName, migration.sql)
      }
      try Migrator(directory: older.url).migrate(on: store.connection)
    } else {
      try Migrator().migrate(on: store.connection)
    }
  }

  /// On a database migrated only up to an older schema (`init(through:)`), where today's store
  /// cannot write: the shipped white-paper workflow registered and consultation `slug` opened,
  /// by plain SQL valid for schemas 0004 to 0011. Returns the consultation's id.
  func legacyConsultation(_ slug: String) throws -> Int64 {
    let source = try String(contentsOf: Scenario.workflowFile, encoding: .utf8)
    let definition = try WorkflowDefinition.parse(yaml: source, file: "white-paper.yaml")
    try store.connection.execute(
      """
      INSERT INTO workflow_definitions (name, version, content_hash, source)
      VALUES ($1, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'), $3) ON CONFLICT DO NOTHING
      """, [definition.name, definition.version, source])
    return try store.connection.query(
      """
      INSERT INTO consultations (slug, title, workflow_name, workflow_version, state)
      VALUES ($1, $1, $2, $3, 'preparation') RETURNING id
      """, [slug, definition.name, definition.version]
    ).rows[0].decode("id")
  }

  /// A written submission written by plain SQL on an older schema (see ``legacyConsultation(_:)``),
  /// with its creation event (the event log's `actor` text column of schemas before 0012).
  @discardableResult
  func legacyContribution(
    _ consultationID: Int64, text: String, language: String? = "en", source: String = "manual",
    sourceID: String? = nil, reason: String? = nil, seconds: Double = 0
  ) throws -> Int64 {
    let id: Int64 = try store.connection.query(
      """
      INSERT INTO contributions (consultation_id, kind, text, language, attribution, source, source_id, state,
                                 received_at)
      VALUES ($1, 'written-submission', $2, $3, 'named', $4, $5, 'received', to_timestamp($6))
      RETURNING id
      """, [consultationID, text, language, source, sourceID, 1_500_000_000 + seconds]
    ).rows[0].decode("id")
    try store.connection.execute(
      """
      INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor, reason,
                          workflow_name, workflow_version)
      SELECT $1, 'contribution', $2, 'create', NULL, 'received', 'clerk', $3, workflow_name, workflow_version
      FROM consultations WHERE id = $1
      """, [consultationID, id, reason])
    return id
  }

  /// The handles the tests act as.
  static let actors = [
    "a", "admin", "agency", "alice", "bob", "chair", "clerk", "editor", "head", "i", "importer", "late",
    "planner", "press", "random", "rapporteur", "reviewer", "secretariat", "t", "tagger", "x", "cli-test",
  ]

  /// Another connection to the same database (for concurrency tests).
  func connect() throws -> PostgresConnection { try Self.connect(name) }

  static func connect(_ name: String) throws -> PostgresConnection {
    try PostgresConnection(parameters: ["dbname": name, "application_name": "consult-tests"])
  }

  /// How many events of consultations the log holds: every event but those of the stakeholder
  /// register (migration 0016), which belong to no consultation and no workflow.
  func consultationEventCount() throws -> Int {
    try store.connection.query("SELECT count(*) AS n FROM events WHERE consultation_id IS NOT NULL").rows[0].decode("n")
  }

  /// How many rows a table has (table names are fixed strings in the tests).
  func count(_ table: String) throws -> Int {
    try store.connection.query("SELECT count(*) AS n FROM " + store.connection.quoteIdentifier(table))
      .rows[0].decode("n")
  }

  deinit {
    store.connection.close()
    if let admin = try? PostgresConnection(parameters: ["dbname": "postgres"]),
      let quoted = try? admin.quoteIdentifier(name)
    {
      _ = try? admin.execute("DROP DATABASE IF EXISTS " + quoted + " WITH (FORCE)")
      admin.close()
    }
  }
}

/// The White Paper 2016 example, built through the store as the CLI does.
enum Scenario {
  static let slug = "white-paper-2016"
  static let personNames = [
    "President of the ICT4Peace Foundation", "Member of the Bundestag (defence)",
    "Cyber policy coordinator, Federal Foreign Office", "Researcher, University of the Federal Armed Forces Munich",
    "Member of the public",
  ]

  /// An instant given as ISO 8601 UTC, e.g. `2015-09-17T07:30:00Z`.
  static func time(_ iso: String) -> Date {
    ISO8601DateFormatter().date(from: iso)!
  }

  /// Opens the consultation, adds stakeholders, the workshop (co-hosted, under
  /// the Chatham House Rule when `chathamHouse`), invites, RSVPs, holds it and
  /// records attendance and the three ICT4Peace statements. Every recorded
  /// time is explicit (none is the clock's), so exports of the scenario are the
  /// same bytes on every run (the golden files in `Golden/`).
  static func build(_ store: ConsultStore, chathamHouse: Bool = true) throws {
    let workflow = try store.resolveWorkflow(workflowFile.path)
    _ = try store.openConsultation(
      slug: slug, title: "White Paper 2016 on German Security Policy and the Future of the Bundeswehr",
      owner: "Federal Ministry of Defence (Germany)", workflow: workflow,
      themes: [
        Theme(key: "challenges", title: "Challenges for security and defence policy in the coming years"),
        Theme(key: "instruments", title: "Instruments, and how they are embedded in alliances and partnerships"),
        Theme(key: "national-framework", title: "The national framework for action"),
        Theme(key: "armed-forces", title: "The future direction of the armed forces"),
      ], openedAt: Date(timeIntervalSince1970: 1_424_131_200), actor: "planner")
    try store.addStakeholder(
      handle: "bmvg", kind: .organisation, name: "Federal Ministry of Defence", group: "ministries", actor: "clerk")
    try store.addStakeholder(
      handle: "unibw", kind: .organisation, name: "University of the Federal Armed Forces Munich", group: "academia",
      actor: "clerk")
    try store.addStakeholder(
      handle: "bitkom", kind: .organisation, name: "BITKOM", group: "industry-associations", actor: "clerk")
    try store.addStakeholder(
      handle: "ict4peace", kind: .organisation, name: "ICT4Peace Foundation", group: "international-partners",
      actor: "clerk")
    try store.addStakeholder(
      handle: "ict4peace-president", kind: .person, name: personNames[0], group: nil, organisation: "ict4peace",
      role: "President", actor: "clerk")
    try store.addStakeholder(handle: "mdb", kind: .person, name: personNames[1], group: "parliament", actor: "clerk")
    try store.addStakeholder(handle: "aa", kind: .person, name: personNames[2], group: "ministries", actor: "clerk")
    try store.addStakeholder(
      handle: "researcher", kind: .person, name: personNames[3], group: nil, organisation: "unibw", actor: "clerk")
    try store.addStakeholder(handle: "citizen", kind: .person, name: personNames[4], group: "public", actor: "clerk")
    let berlin = TimeZone(identifier: "Europe/Berlin")!
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = berlin
    let start = calendar.date(from: DateComponents(year: 2015, month: 9, day: 17, hour: 9, minute: 30))!
    let end = calendar.date(from: DateComponents(year: 2015, month: 9, day: 17, hour: 17))!
    try store.addWorkshop(
      key: "cyber-security", to: slug, title: "Expert workshop \"White Paper 2016 on Cyber Security\"",
      venue: "Berlin", startsAt: start, endsAt: end, timeZone: "Europe/Berlin", chathamHouse: chathamHouse,
      hosts: ["bmvg", "unibw", "bitkom"], actor: "planner", at: time("2015-07-01T08:00:00Z"))
    try store.invite(
      ["ict4peace-president", "mdb", "aa", "researcher", "citizen"], to: "cyber-security", in: slug,
      events: ["send"], actor: "planner", at: time("2015-07-02T08:00:00Z"))
    try store.advanceConsultation(
      slug, event: "open-participation", actor: "planner", at: time("2015-07-03T08:00:00Z"))
    try store.advanceWorkshop(
      "cyber-security", in: slug, event: "schedule", actor: "planner", at: time("2015-08-03T08:00:00Z"))
    for (minute, handle) in ["ict4peace-president", "mdb", "aa", "researcher"].enumerated() {
      try store.advanceInvitation(
        "accept", for: handle, to: "cyber-security", in: slug, actor: "planner",
        at: time("2015-08-10T09:0\(minute):00Z"))
    }
    try store.advanceInvitation(
      "decline", for: "citizen", to: "cyber-security", in: slug, actor: "planner", at: time("2015-08-11T09:00:00Z"))
    try store.advanceWorkshop(
      "cyber-security", in: slug, event: "hold", actor: "rapporteur", at: time("2015-09-17T07:30:00Z"))
    try store.recordAttendance(
      attended: ["ict4peace-president", "mdb", "aa"], noShow: ["researcher"], at: "cyber-security", in: slug,
      actor: "rapporteur", time: time("2015-09-17T15:00:00Z"))
    for (index, (theme, text)) in statements.enumerated() {
      try store.recordContribution(
        NewContribution(
          text: text, stakeholder: "ict4peace-president", workshop: "cyber-security", theme: theme, language: "en",
          receivedAt: time("2015-09-17T15:0\(index + 1):00Z")),
        in: slug, actor: "rapporteur")
    }
  }

  static let statements: [(String, String)] = [
    (
      "instruments",
      "Malicious use of ICTs calls for a global, inclusive dialogue on norms of responsible state behaviour."
    ),
    ("national-framework", "Few agencies count cybersecurity capacity building as official development assistance."),
    ("instruments", "Capacity building should be strengthened at policy and technical level and better coordinated."),
  ]

  /// The shipped workflow file, found from this source file's path.
  static var workflowFile: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Workflows/white-paper.yaml")
  }

  /// `../shared/realdata/regulations-gov-usda-2017-0002`, when present.
  static var regulationsGovData: URL? {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("shared/realdata/regulations-gov-usda-2017-0002")
    return FileManager.default.fileExists(atPath: url.path) ? url : nil
  }
}

/// A temporary directory for files a test writes (hand-written import files), removed when released.
final class ScratchDirectory {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("consult-test-\(UUID())")
  init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
  deinit { try? FileManager.default.removeItem(at: url) }

  /// Writes `text` as UTF-8 to `name` in the directory and returns the file's URL.
  func write(_ name: String, _ text: String) throws -> URL {
    let file = url.appendingPathComponent(name)
    try Data(text.utf8).write(to: file)
    return file
  }
}
