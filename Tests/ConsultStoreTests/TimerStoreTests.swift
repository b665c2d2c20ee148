import ConsultCore
import ConsultStore
import Foundation
import Postgres
import Testing

/// Workflow timers fired by `tick` against PostgreSQL, with an injected clock.
@Suite("Timers and tick")
struct TimerStoreTests {
  static let day: TimeInterval = 86_400

  /// Opens a white-paper consultation with a workshop and `count` invitations, all sent.
  @discardableResult
  static func invitations(_ store: ConsultStore, count: Int, deadline: Date? = nil) throws -> [String] {
    let workflow = try store.resolveWorkflow(Scenario.workflowFile.path)
    _ = try store.openConsultation(
      slug: "timed", title: "Timed", owner: nil, workflow: workflow, deadline: deadline, actor: "planner")
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    try store.addWorkshop(
      key: "w", to: "timed", title: "Workshop", venue: nil, startsAt: start, endsAt: start, timeZone: "UTC",
      chathamHouse: false, hosts: [], actor: "planner")
    let handles = (1...count).map { "expert-\($0)" }
    for handle in handles {
      _ = try store.addStakeholder(
        handle: handle, kind: .person, name: "Expert \(handle)", group: "academia", actor: "clerk")
    }
    try store.invite(handles, to: "w", in: "timed", events: ["send"], actor: "planner")
    return handles
  }

  /// When each invitation entered `sent` (its send event), from the log.
  static func sentAt(_ store: ConsultStore) throws -> Date {
    try store.connection.query(
      "SELECT max(occurred_at) AS at FROM events WHERE entity_kind = 'invitation' AND event = 'send'"
    ).rows[0].decode("at", as: PostgresTimestamp.self).date
  }

  static func expireEvents(_ store: ConsultStore) throws -> [(id: Int64, count: Int)] {
    try store.connection.query(
      """
      SELECT i.id, count(e.id) AS n FROM invitations i
      LEFT JOIN events e ON e.entity_kind = 'invitation' AND e.entity_id = i.id AND e.event = 'expire'
      GROUP BY i.id ORDER BY i.id
      """
    ).map { (try $0.decode("id"), try $0.decode("n")) }
  }

  @Test("after P21D: not due a moment before, due at 21 days; fired once, by 'timer', at the tick's time")
  func dueAfterDuration() throws {
    let db = try TestDatabase()
    let store = db.store
    try Self.invitations(store, count: 3)
    try store.advanceInvitation("accept", for: "expert-1", to: "w", in: "timed", actor: "planner")
    let sent = try Self.sentAt(store)

    let early = sent.addingTimeInterval(21 * Self.day - 1)
    #expect(try store.dueTimers(now: early).isEmpty)
    #expect(try store.tick(now: early).timers.isEmpty)

    // 21 days later (plus a millisecond: times are stored with microsecond precision).
    let now = sent.addingTimeInterval(21 * Self.day + 0.001)
    let report = try store.tick(now: now)
    #expect(report.fired.map(\.due.label).sorted() == ["expert-2 to w", "expert-3 to w"])
    #expect(report.fired.allSatisfy { $0.due.event == "expire" && $0.due.timer == "after P21D" })
    #expect(report.fired.allSatisfy { $0.record?.toState == "expired" })
    let states = Dictionary(
      uniqueKeysWithValues: try store.invitations(to: "w", in: "timed").map { ($0.stakeholder, $0.state) })
    #expect(states == ["expert-1": "accepted", "expert-2": "expired", "expert-3": "expired"])

    let logged = try store.connection.query(
      "SELECT a.handle AS actor, reason, occurred_at FROM events e JOIN actors a ON a.id = e.actor_id WHERE event = 'expire' ORDER BY e.id"
    )
    #expect(logged.count == 2)
    for row in logged {
      #expect(try row.decode("actor", as: String.self) == "timer")
      #expect(try row.decode("reason", as: String.self).hasPrefix("timer: expire after P21D, due "))
      let occurred = try row.decode("occurred_at", as: PostgresTimestamp.self).date
      #expect(abs(occurred.timeIntervalSince(now)) < 0.000_01)
    }
    // Nothing is due any more, at that time or later.
    #expect(try store.tick(now: now).timers.isEmpty)
    #expect(try store.tick(now: now.addingTimeInterval(365 * Self.day)).timers.isEmpty)
    #expect(try store.checkLog().isConsistent)
  }

  @Test("at consultation.deadline: never due without a deadline; blocked while its guard fails; fires once it holds")
  func dueAtDeadline() throws {
    let db = try TestDatabase()
    let store = db.store
    try Self.invitations(store, count: 1)
    try store.advanceConsultation("timed", event: "open-participation", actor: "planner")
    try store.advanceInvitation("accept", for: "expert-1", to: "w", in: "timed", actor: "planner")  // no expiry
    let far = Date(timeIntervalSince1970: 4_000_000_000)
    #expect(try store.dueTimers(now: far).filter { $0.entityKind == "consultation" }.isEmpty)

    let deadline = Date(timeIntervalSince1970: 1_900_000_000)
    #expect(try store.setDeadline(of: "timed", to: deadline, actor: "planner").deadline == deadline)
    #expect(
      try store.dueTimers(now: deadline.addingTimeInterval(-1)).filter { $0.entityKind == "consultation" }.isEmpty)

    // Due, but the planned workshop blocks the guard: reported, nothing written, tried again later.
    let events = try db.count("events")
    let blocked = try store.tick(now: deadline).timers.filter { $0.due.entityKind == "consultation" }
    #expect(blocked.map(\.outcome) == [.blocked])
    #expect(blocked.first?.reason?.contains("needs workshops.planned == 0; has 1") == true)
    #expect(try store.consultation("timed").state == "participatory-phase")

    try store.advanceWorkshop("w", in: "timed", event: "cancel", actor: "planner")
    // Moving the deadline later makes it not due again.
    try store.setDeadline(of: "timed", to: deadline.addingTimeInterval(Self.day), actor: "planner")
    #expect(try store.tick(now: deadline).fired.filter { $0.due.entityKind == "consultation" }.isEmpty)
    let fired = try store.tick(now: deadline.addingTimeInterval(Self.day)).fired.filter {
      $0.due.entityKind == "consultation"
    }
    #expect(fired.map(\.due.event) == ["close-participation"])
    #expect(fired.first?.due.dueAt == deadline.addingTimeInterval(Self.day))
    #expect(try store.consultation("timed").state == "synthesis")
    #expect(try db.count("events") == events + 3)  // the workshop's cancel, the deadline's move and the timer
    try store.setDeadline(of: "timed", to: nil, actor: "planner", at: deadline.addingTimeInterval(2 * Self.day))
    #expect(try store.consultation("timed").deadline == nil)
  }

  @Test("two ticks at once, on two connections, fire each timer exactly once")
  func concurrentTicks() throws {
    let db = try TestDatabase()
    try Self.invitations(db.store, count: 40)
    let now = try Self.sentAt(db.store).addingTimeInterval(30 * Self.day)
    let name = db.name
    let results = ReportsBox()
    let start = DispatchSemaphore(value: 0)
    let group = DispatchGroup()
    for _ in 0..<2 {
      group.enter()
      Thread.detachNewThread {
        defer { group.leave() }
        do {
          let store = ConsultStore(connection: try TestDatabase.connect(name))
          start.wait()
          results.append(.success(try store.tick(now: now)))
        } catch {
          results.append(.failure(error))
        }
      }
    }
    start.signal()
    start.signal()
    group.wait()
    let reports = try results.all().map { try $0.get() }
    #expect(reports.count == 2)
    #expect(reports.map(\.fired.count).reduce(0, +) == 40, "\(reports.map(\.fired.count))")
    let firedIDs = reports.flatMap(\.fired).map(\.due.entityID)
    #expect(Set(firedIDs).count == 40)
    #expect(try Self.expireEvents(db.store).allSatisfy { $0.count == 1 })
    #expect(try db.store.tick(now: now).timers.isEmpty)
    #expect(try db.store.checkLog().isConsistent)
  }

  @Test("a tick killed midway leaves nothing half-done; a concurrent tick skips its timer; the next tick completes it")
  func killedTick() throws {
    let db = try TestDatabase()
    try Self.invitations(db.store, count: 3)
    let now = try Self.sentAt(db.store).addingTimeInterval(30 * Self.day)

    // The doomed tick: fires its first timer inside an open transaction, then its process dies.
    let doomed = ConsultStore(connection: try db.connect())
    let pid: Int = try doomed.connection.query("SELECT pg_backend_pid() AS pid").rows[0].decode("pid")
    let due = try doomed.dueTimers(now: now)
    #expect(due.count == 3)
    try doomed.connection.execute("BEGIN")
    let halfDone = try doomed.applyTimer(due[0], now: now)
    #expect(halfDone?.toState == "expired")

    // Meanwhile another tick fires the other two and skips the locked one.
    let concurrent = try db.store.tick(now: now)
    #expect(concurrent.fired.count == 2)
    #expect(concurrent.timers.filter { $0.outcome == .skipped }.map(\.due.entityID) == [due[0].entityID])

    // Kill the doomed tick's server process mid-transaction.
    let killed: Bool = try db.store.connection.query("SELECT pg_terminate_backend($1) AS ok", [pid]).rows[0]
      .decode("ok")
    #expect(killed)
    for _ in 0..<2000 {  // termination is asynchronous: wait until the backend has rolled back and exited
      let alive: Int = try db.store.connection.query(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1", [pid]
      ).rows[0].decode("n")
      if alive == 0 { break }
      Thread.sleep(forTimeInterval: 0.01)
    }
    let invitation = try db.store.connection.query(
      "SELECT state FROM invitations WHERE id = $1", [due[0].entityID]
    ).rows[0].decode("state", as: String.self)
    #expect(invitation == "sent")
    #expect(try Self.expireEvents(db.store).map(\.count).sorted() == [0, 1, 1])

    // The next tick completes the work, once.
    let next = try db.store.tick(now: now)
    #expect(next.fired.map(\.due.entityID) == [due[0].entityID])
    #expect(try Self.expireEvents(db.store).allSatisfy { $0.count == 1 })
    #expect(try db.store.tick(now: now).timers.isEmpty)
    #expect(try db.store.checkLog().isConsistent)
  }

  @Test("a timer found due but changed by someone else before it fires is skipped")
  func changedSinceFound() throws {
    let db = try TestDatabase()
    try Self.invitations(db.store, count: 1)
    let now = try Self.sentAt(db.store).addingTimeInterval(30 * Self.day)
    let due = try db.store.dueTimers(now: now)
    try db.store.advanceInvitation("accept", for: "expert-1", to: "w", in: "timed", actor: "planner")
    let firing = try db.store.fireTimer(due[0], now: now)
    #expect(firing.outcome == .skipped)
    #expect(try Self.expireEvents(db.store).map(\.count) == [0])
  }
}

/// Tick reports collected from several threads.
final class ReportsBox: @unchecked Sendable {
  private let lock = NSLock()
  private var values: [Result<TickReport, any Error>] = []
  func append(_ value: Result<TickReport, any Error>) { lock.withLock { values.append(value) } }
  func all() -> [Result<TickReport, any Error>] { lock.withLock { values } }
}
