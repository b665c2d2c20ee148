// consult-bench: transitions per second through the store, for Benchmarks/transitions.sh; and
// how fast a Polis file is read without a database, for Benchmarks/import.sh.
//
//   consult-bench setup DBNAME WORKFLOW.yaml ITEMS   migrate, register the workflow, open a
//                                                   consultation with ITEMS workshops and contributions
//   consult-bench run DBNAME KIND CLIENTS SECONDS    CLIENTS threads, each on its own connection,
//                                                   toggle KIND (workshop or contribution) entities
//                                                   for SECONDS; prints "tps N"
//   consult-bench check DBNAME                      replay the event log (consult log check)
//   consult-bench parse FILE                        read a Polis comments.csv (consult's CSV reader
//                                                   and the record checks, no database); prints records/s
//   consult-bench csv FILE                          read any CSV file with consult's CSV reader alone
//                                                   (records, no checks); prints records/s and MB/s
//
// The server is the one the libpq environment (PGHOST, PGPORT, PGUSER) names. Each transition is
// ConsultStore.fire: one transaction that reads the entity, lets the workflow core decide,
// compares-and-sets the new state and appends to the event log. Client k toggles the entities i
// with i % CLIENTS == k (schedule/postpone a workshop, review/reopen a contribution), so clients
// never contend for a row, as pgbench's clients rarely do.
import ConsultCore
import ConsultImport
import ConsultStore
import Foundation
import Postgres

/// Counts transitions across client threads.
final class Tally: @unchecked Sendable {
  private let lock = NSLock()
  private var done = 0
  private var failed: [String] = []

  func add(_ count: Int, failure: String?) {
    lock.lock()
    defer { lock.unlock() }
    done += count
    if let failure { failed.append(failure) }
  }

  var result: (done: Int, failed: [String]) {
    lock.lock()
    defer { lock.unlock() }
    return (done, failed)
  }
}

/// When the clients stop; set once before they start.
final class Deadline: @unchecked Sendable {
  private let lock = NSLock()
  private var end = Date.distantFuture

  var value: Date {
    get {
      lock.lock()
      defer { lock.unlock() }
      return end
    }
    set {
      lock.lock()
      defer { lock.unlock() }
      end = newValue
    }
  }
}

func connect(_ database: String) throws -> PostgresConnection {
  try PostgresConnection(parameters: ["dbname": database, "application_name": "consult-bench"])
}

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("consult-bench: \(message)\n".utf8))
  exit(1)
}

let slug = "bench"
let arguments = Array(CommandLine.arguments.dropFirst())
do {
  switch (arguments.first, arguments.count) {
  case ("setup", 4):
    let store = ConsultStore(connection: try connect(arguments[1]))
    try Migrator().migrate(on: store.connection)
    // Every change records a registered actor (an unknown one is refused).
    try store.registerActor("bench")
    let workflow = try store.resolveWorkflow(arguments[2])
    _ = try store.openConsultation(slug: slug, title: "Benchmark", owner: nil, workflow: workflow, actor: "bench")
    let start = Date(timeIntervalSince1970: 1_700_000_000)
    for index in 0..<(Int(arguments[3]) ?? 0) {
      try store.recordContribution(NewContribution(text: "item \(index)", stakeholder: nil), in: slug, actor: "bench")
      try store.addWorkshop(
        key: "w\(index)", to: slug, title: "Workshop \(index)", venue: nil, startsAt: start, endsAt: start,
        timeZone: "UTC", chathamHouse: false, hosts: [], actor: "bench")
    }
  case ("run", 5):
    guard let kind = EntityKind(rawValue: arguments[2]), kind == .workshop || kind == .contribution,
      let clients = Int(arguments[3]), clients > 0, let seconds = Double(arguments[4])
    else {
      fail("run DBNAME workshop|contribution CLIENTS SECONDS")
    }
    let database = arguments[1]
    let setup = ConsultStore(connection: try connect(database))
    // The event that toggles each state.
    let toggle =
      kind == .workshop
      ? ["planned": "schedule", "scheduled": "postpone"] : ["received": "review", "reviewed": "reopen"]
    let rows = try setup.connection.query(
      kind == .workshop
        ? "SELECT e.id, e.state FROM workshops e JOIN consultations k ON k.id = e.consultation_id WHERE k.slug = $1 ORDER BY e.id"
        : "SELECT e.id, e.state FROM contributions e JOIN consultations k ON k.id = e.consultation_id WHERE k.slug = $1 ORDER BY e.id",
      [slug])
    let ids: [Int64] = try rows.map { try $0.decode("id") }
    var states: [Int64: String] = [:]
    for row in rows { states[try row.decode("id")] = try row.decode("state") }
    guard ids.count >= clients else { fail("need at least \(clients) contributions; run setup with more") }
    let tally = Tally()
    let group = DispatchGroup()
    let ready = DispatchSemaphore(value: 0)
    let go = DispatchSemaphore(value: 0)
    let deadline = Deadline()
    for client in 0..<clients {
      let mine = ids.enumerated().filter { $0.offset % clients == client }.map(\.element)
      let initialStates = mine.map { states[$0] ?? "" }
      group.enter()
      Thread.detachNewThread {
        defer { group.leave() }
        var count = 0
        var failure: String?
        var mineStates = initialStates
        do {
          let store = ConsultStore(connection: try connect(database))
          // Warm the workflow cache (one parse per connection), as a long-running client would.
          _ = try store.connection.query("SELECT 1")
          ready.signal()
          go.wait()
          let end = deadline.value
          var next = 0
          while Date() < end {
            let event = toggle[mineStates[next]] ?? "archive"
            let record = try store.fire(event, on: EntityReference(kind, mine[next]), actor: "bench")
            mineStates[next] = record.toState
            next = (next + 1) % mine.count
            count += 1
          }
        } catch {
          ready.signal()
          failure = "\(error)"
        }
        tally.add(count, failure: failure)
      }
    }
    for _ in 0..<clients { ready.wait() }
    let startedAt = Date()
    deadline.value = startedAt.addingTimeInterval(seconds)
    for _ in 0..<clients { go.signal() }
    group.wait()
    let elapsed = Date().timeIntervalSince(startedAt)
    let (done, failed) = tally.result
    if let first = failed.first { fail("\(Phrasing.counted(failed.count, "client")) failed: \(first)") }
    print(String(format: "tps %.1f transitions %d seconds %.2f", Double(done) / elapsed, done, elapsed))
  case ("check", 2):
    // The event log still replays to every stored state after the load.
    let report = try ConsultStore(connection: try connect(arguments[1])).checkLog()
    if !report.isConsistent { fail("log check: \(report.discrepancies.count) discrepancies") }
    print("log check: ok, \(report.events) events, \(report.entities) entities replayed")
  case ("parse", 2):
    // Client-side reading alone (no database): records per second of the Polis reader.
    let startedAt = Date()
    var count = 0
    var bytes = 0
    try PolisSource(URL(fileURLWithPath: arguments[1])).read(
      invalid: { throw $0 },
      { record in
        count += 1
        bytes &+= record.text?.utf8.count ?? 0
      })
    let elapsed = Date().timeIntervalSince(startedAt)
    print(
      String(
        format: "parse %d records in %.2f s: %.0f records/s (%d text bytes)", count, elapsed,
        Double(count) / elapsed, bytes))
  case ("csv", 2):
    // The CSV reader alone: records and bytes per second.
    let startedAt = Date()
    let reader = try CSVRowReader(url: URL(fileURLWithPath: arguments[1]))
    var count = 0
    while try reader.next() != nil { count += 1 }
    let elapsed = Date().timeIntervalSince(startedAt)
    print(
      String(
        format: "csv %d records in %.2f s: %.0f records/s, %.1f MB/s", count, elapsed, Double(count) / elapsed,
        Double(reader.bytesRead) / elapsed / 1_000_000))
  default:
    fail(
      "usage: consult-bench setup DBNAME WORKFLOW.yaml ITEMS | run DBNAME workshop|contribution CLIENTS SECONDS"
        + " | check DBNAME | parse FILE | csv FILE"
    )
  }
} catch {
  fail("\(error)")
}
