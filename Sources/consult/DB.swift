import ArgumentParser
import ConsultStore
import EmbeddedPostgres
import Foundation
import Postgres

struct DB: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "db", abstract: "Manage the database: the embedded cluster, or migrations of a configured server.",
    subcommands: [Status.self, Start.self, Stop.self, Migrate.self])

  /// Shared: whether a server is configured, and the embedded cluster otherwise.
  struct Target {
    let url: String?
    let configured: Bool
    init(_ options: ConnectionOptions) {
      url = options.url
      configured = options.serverConfigured
    }
    var cluster: EmbeddedCluster { EmbeddedCluster(root: EmbeddedCluster.defaultRoot()) }
  }

  struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Which server is used, whether it runs, and its migrations.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    func run() throws {
      do {
        let target = Target(connection)
        var info: [String: String] = [:]
        if target.configured {
          info["server"] = "configured"
        } else {
          let cluster = target.cluster
          info["server"] = "embedded"
          info["data_directory"] = cluster.dataDirectory.path
          // Settled: waits while another consult creates, starts or stops the cluster, so a
          // server reported as running is ready and has its database.
          let state = try cluster.settledStatus()
          switch state {
          case .notInitialised: info["state"] = "not initialised"
          case .stopped: info["state"] = "stopped"
          case .running(let pid): info["state"] = "running (pid \(pid))"
          }
          guard case .running = state else {
            return try emit(info, pending: nil)
          }
        }
        let conn: PostgresConnection
        if target.configured {
          conn = try PostgresConnection(url: target.url, parameters: ["application_name": "consult"])
        } else {
          conn = try PostgresConnection(parameters: target.cluster.connectionParameters)
        }
        let version = try conn.query("SELECT current_setting('server_version') AS v, current_database() AS d")
        info["server_version"] = try version.rows[0].decode("v")
        info["database"] = try version.rows[0].decode("d")
        let statuses = try Migrator().status(on: conn)
        info["migrations_applied"] = String(statuses.filter { $0.appliedAt != nil }.count)
        try emit(info, pending: statuses.filter { $0.appliedAt == nil }.map(\.migration.fileName))
      } catch let error as ExitCode {
        throw error
      } catch {
        throw report(error, verbose: connection.verbose)
      }
    }
    func emit(_ info: [String: String], pending: [String]?) throws {
      var info = info
      if let pending { info["migrations_pending"] = pending.isEmpty ? "none" : pending.joined(separator: ", ") }
      if output.json { return try printJSON(info) }
      for key in info.keys.sorted() { say("\(key): \(info[key]!)") }
    }
  }

  struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create (if needed), start and migrate the embedded cluster.")
    @OptionGroup var connection: ConnectionOptions
    func run() throws {
      let target = Target(connection)
      if target.configured {
        printError(
          "consult: a server is configured (--database-url, CONSULT_DATABASE_URL or PG* variables); consult never starts or stops it"
        )
        throw Exit.failure
      }
      do {
        let cluster = target.cluster
        let applied = try Migrator().migrate(on: try connectToEmbedded(cluster))
        say(
          "Embedded PostgreSQL running; socket in \(cluster.socketDirectory.path); \(counted(applied.count, "migration")) applied now"
        )
      } catch {
        throw report(error, verbose: connection.verbose)
      }
    }
  }

  struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster.")
    @OptionGroup var connection: ConnectionOptions
    func run() throws {
      let target = Target(connection)
      if target.configured {
        printError("consult: a server is configured; consult never starts or stops it")
        throw Exit.failure
      }
      do {
        guard case .running = try target.cluster.settledStatus() else {
          say("Embedded PostgreSQL was not running")
          return
        }
        try target.cluster.stop()
        say("Embedded PostgreSQL stopped")
      } catch {
        throw report(error, verbose: connection.verbose)
      }
    }
  }

  struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Apply pending migrations (each in a transaction, checksummed).")
    @OptionGroup var connection: ConnectionOptions
    func run() throws {
      do {
        let target = Target(connection)
        let conn: PostgresConnection
        if target.configured {
          conn = try PostgresConnection(url: target.url, parameters: ["application_name": "consult"])
        } else {
          conn = try connectToEmbedded(target.cluster)
        }
        let applied = try Migrator().migrate(on: conn)
        if applied.isEmpty {
          say("The database is up to date")
        } else {
          for m in applied { say("Applied \(m.fileName)") }
        }
      } catch {
        throw report(error, verbose: connection.verbose)
      }
    }
  }
}
