import ConsultCore
import ConsultStore
import Foundation
import Postgres
import Testing

@Suite("Concurrent writers")
struct ConcurrencyTests {
  @Test("two transitions of one workshop from two connections: one wins, the other gets a conflict")
  func concurrentTransitions() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let workshopID = try db.store.workshop("cyber-security", in: Scenario.slug).id
    let first = ConsultStore(connection: try db.connect())
    let eventsBefore = try db.count("events")

    // Connection A applies `cancel`... no: the workshop is held; use a fresh planned workshop.
    let start = Date(timeIntervalSince1970: 1_442_475_000)
    let planned = try db.store.addWorkshop(
      key: "second", to: Scenario.slug, title: "Second workshop", venue: nil, startsAt: start, endsAt: start,
      timeZone: "Europe/Berlin", chathamHouse: false, hosts: [], actor: "planner")
    _ = workshopID

    // A: inside an open transaction, transition and keep the row locked.
    try first.connection.execute("BEGIN")
    _ = try first.applyTransition("schedule", on: EntityReference(.workshop, planned.id), actor: "alice", reason: nil)

    // B: on its own thread and connection, read the old state and try the same.
    let name = db.name
    let outcome = OutcomeBox()
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      defer { done.signal() }
      do {
        let other = ConsultStore(connection: try TestDatabase.connect(name))
        _ = try other.fire("schedule", on: EntityReference(.workshop, planned.id), actor: "bob")
        outcome.set("won")
      } catch let error as StoreError {
        outcome.set(error.kind == .conflict ? "conflict: \(error.description)" : "other: \(error)")
      } catch {
        outcome.set("other: \(error)")
      }
    }
    // Wait until B is blocked on A's row lock, then commit A.
    let watcher = try db.connect()
    var blocked = false
    for _ in 0..<1000 {  // up to 20 s on a slow machine
      let rows = try watcher.query(
        """
        SELECT count(*) AS n FROM pg_stat_activity
        WHERE datname = $1 AND wait_event_type = 'Lock' AND application_name = 'consult-tests'
        """, [name])
      if try rows.rows[0].decode("n", as: Int.self) > 0 {
        blocked = true
        break
      }
      Thread.sleep(forTimeInterval: 0.02)
    }
    try first.connection.execute("COMMIT")
    done.wait()
    #expect(blocked, "the second writer should have waited on the first one's row lock")
    let result = outcome.get()
    #expect(result.hasPrefix("conflict:"), "got \(result)")
    #expect(result.contains("changed by someone else"))
    // Exactly one transition of that workshop is in the log, by the winner.
    let scheduleEvents = try db.store.connection.query(
      "SELECT a.handle AS actor FROM events e JOIN actors a ON a.id = e.actor_id WHERE entity_kind = 'workshop' AND entity_id = $1 AND event = 'schedule'",
      [planned.id])
    #expect(scheduleEvents.count == 1)
    #expect(try scheduleEvents.rows[0].decode("actor", as: String.self) == "alice")
    #expect(try db.count("events") == eventsBefore + 2)  // the workshop's creation and alice's schedule
    #expect(try db.store.workshop("second", in: Scenario.slug).state == "scheduled")
  }
}

@Suite("Concurrent first registration")
struct ConcurrentRegistrationTests {
  @Test("a workflow version registered by two transactions at once: both succeed, one row")
  func concurrentRegistration() throws {
    let db = try TestDatabase()
    let source = try String(contentsOf: Scenario.workflowFile, encoding: .utf8)
    let definition = try WorkflowDefinition.parse(yaml: source, file: Scenario.workflowFile.path)
    // A: registers the version in an open transaction (as a concurrent `consult open` would).
    let first = try db.connect()
    try first.execute("BEGIN")
    try first.execute(
      """
      INSERT INTO workflow_definitions (name, version, content_hash, source)
      VALUES ($1, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'), $3)
      """, [definition.name, definition.version, source])

    // B: looks, finds nothing committed, inserts and waits for A.
    let name = db.name
    let outcome = OutcomeBox()
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      defer { done.signal() }
      do {
        let other = ConsultStore(connection: try TestDatabase.connect(name))
        _ = try other.registerWorkflow(source: source, file: Scenario.workflowFile.path)
        outcome.set("registered")
      } catch {
        outcome.set("failed: \(error)")
      }
    }
    let watcher = try db.connect()
    var blocked = false
    for _ in 0..<1000 {  // up to 20 s on a slow machine
      let rows = try watcher.query(
        """
        SELECT count(*) AS n FROM pg_stat_activity
        WHERE datname = $1 AND wait_event_type = 'Lock' AND application_name = 'consult-tests'
        """, [name])
      if try rows.rows[0].decode("n", as: Int.self) > 0 {
        blocked = true
        break
      }
      Thread.sleep(forTimeInterval: 0.02)
    }
    try first.execute("COMMIT")
    done.wait()
    #expect(blocked, "the second registration should have waited for the first one's insert")
    #expect(outcome.get() == "registered")
    let rows = try db.store.connection.query(
      "SELECT count(*) AS n FROM workflow_definitions WHERE name = $1 AND version = $2",
      [definition.name, definition.version])
    #expect(try rows.rows[0].decode("n", as: Int.self) == 1)
  }
}

/// A string set on one thread and read on another.
final class OutcomeBox: @unchecked Sendable {
  private let lock = NSLock()
  private var value = "none"
  func set(_ new: String) { lock.withLock { value = new } }
  func get() -> String { lock.withLock { value } }
}
