import Foundation
import Postgres
import Testing

/// The test server: the PG* environment set by `scripts/with-postgres`.
enum TestServer {
  /// Whether a server is configured; database tests are skipped otherwise
  /// (run them with `scripts/with-postgres swift test`).
  static var isConfigured: Bool {
    ProcessInfo.processInfo.environment["PGHOST"] != nil
  }

  /// The socket directory (or host) from `PGHOST`.
  static var host: String {
    ProcessInfo.processInfo.environment["PGHOST"] ?? ""
  }

  /// A fresh connection from the environment.
  static func connect() throws -> PostgresConnection {
    try PostgresConnection(parameters: ["application_name": "consult-postgres-tests"])
  }
}

extension Trait where Self == ConditionTrait {
  /// Runs the test only with a server (PGHOST set by scripts/with-postgres).
  static var needsServer: Self {
    .enabled(
      if: TestServer.isConfigured, "needs a PostgreSQL server: run via scripts/with-postgres")
  }
}
