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
//   consult-bench near DBNAME CONSULTATION TRUTH    group near-duplicate campaigns (as `campaigns --near`)
//                                                   and measure them against a generator's ground truth
//                                                   (Benchmarks/generate-docket.py): pairwise precision
//                                                   and recall, recall per kind of edit, seconds
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
          store.tuneSession()  // as the consult command's sessions are (ConsultStore.tuneSession)
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
  case ("near", 4):
    // Near-duplicate grouping against the generator's ground truth. Pairwise: of all pairs of
    // rows put in one campaign, the share truly in one (precision); of all pairs truly in one,
    // the share put in one (recall); rows in no campaign are campaigns of their own.
    let store = ConsultStore(connection: try connect(arguments[1]))
    let startedAt = Date()
    let campaignOf = try store.campaignOfFingerprint(in: arguments[2], near: true)
    let elapsed = Date().timeIntervalSince(startedAt)
    var truth: [String: (campaign: String, edit: String)] = [:]
    let truthText = try String(contentsOfFile: arguments[3], encoding: .utf8)
    for line in truthText.split(separator: "\n").dropFirst() {
      let parts = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      truth[parts[0]] = (parts[1].isEmpty ? "single:" + parts[0] : parts[1], parts[2])
    }
    var pairs: [String: Int] = [:]
    var predicted: [String: Int] = [:]
    var actual: [String: Int] = [:]
    var rowsOf: [(predicted: String, truth: String, edit: String)] = []
    for row in try store.connection.query(
      """
      SELECT k.source_id, k.fingerprint FROM contributions k JOIN consultations c ON c.id = k.consultation_id
      WHERE c.slug = $1
      """, [arguments[2]])
    {
      let id: String = try row.decode("source_id")
      let fingerprint: String? = try row.decode("fingerprint")
      let label = fingerprint.flatMap { campaignOf[$0] } ?? "single:" + id
      guard let known = truth[id] else { fail("row \(id) is not in the truth file") }
      pairs[label + "\u{1}" + known.campaign, default: 0] += 1
      predicted[label, default: 0] += 1
      actual[known.campaign, default: 0] += 1
      rowsOf.append((label, known.campaign, known.edit))
    }
    func choose2(_ n: Int) -> Double { Double(n) * Double(n - 1) / 2 }
    let together = pairs.values.reduce(0) { $0 + choose2($1) }
    let precision = together / max(1, predicted.values.reduce(0) { $0 + choose2($1) })
    let recall = together / max(1, actual.values.reduce(0) { $0 + choose2($1) })
    // Per kind of edit: a row is caught when it is in the campaign holding most of its true campaign.
    var majority: [String: (label: String, count: Int)] = [:]
    for (key, count) in pairs {
      let parts = key.split(separator: "\u{1}").map(String.init)
      if count > majority[parts[1]]?.count ?? 0 { majority[parts[1]] = (parts[0], count) }
    }
    var caught: [String: (Int, Int)] = [:]
    for row in rowsOf where !row.edit.isEmpty {
      let hit = majority[row.truth]?.label == row.predicted ? 1 : 0
      caught[row.edit, default: (0, 0)].0 += hit
      caught[row.edit, default: (0, 0)].1 += 1
    }
    let kinds = ["exact", "start", "end", "middle", "both"].compactMap { kind in
      caught[kind].map { kind + " " + String(format: "%.4f", Double($0.0) / Double(max(1, $0.1))) }
    }
    print(
      String(
        format: "near precision %.4f recall %.4f seconds %.2f texts %d", precision, recall, elapsed, rowsOf.count)
        + " | recall by edit: " + kinds.joined(separator: ", "))
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
        + " | check DBNAME | parse FILE | csv FILE | near DBNAME CONSULTATION TRUTH"
    )
  }
} catch {
  fail("\(error)")
}
