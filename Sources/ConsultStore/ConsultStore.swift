import ConsultCore
import Foundation
import Postgres

/// The consult store: every SQL statement the program runs lives in this module.
///
/// A store wraps one ``PostgresConnection``. Each public use case is one
/// transaction: it loads, asks the workflow core to decide, and writes the
/// new state and the event-log entry together. The store is not thread-safe
/// (nor is its connection); use one store per thread or task.
public final class ConsultStore {
  /// The connection every statement runs on.
  public let connection: PostgresConnection
  /// Parsed workflow definitions by "name@version", loaded from the database.
  var workflowCache: [String: WorkflowDefinition] = [:]

  /// Wraps an open connection.
  /// - Parameter connection: A connection to a database migrated with ``Migrator``.
  public init(connection: PostgresConnection) {
    self.connection = connection
  }

  /// Settings for a session that runs consult's statements, each `SET` for the session only
  /// (PostgreSQL docs §20): a killed client's backend stops within a second instead of finishing
  /// its statement (`client_connection_check_interval`, §20.3, PostgreSQL 14+); and the planner
  /// costs a random page read as a cached one (`random_page_cost = 1.1`, §20.7.2, which suggests
  /// lowering it when the data is cached or on SSD). Every statement of a transition looks a row up
  /// by its key; with the default cost of 4, PostgreSQL scans small tables whole instead (a
  /// workshop table of 256 rows once analysed: 1.11M server instructions per transition instead of
  /// 0.80M, Benchmarks/append-cost.sh), and the scan slows as updates leave dead rows behind.
  /// A setting the server refuses is skipped: these change speed, never results.
  public func tuneSession() {
    for setting in ["client_connection_check_interval = '1s'", "random_page_cost = 1.1"] {
      _ = try? connection.execute("SET " + setting)
    }
  }

  /// Runs `body` in one transaction (READ COMMITTED), translating database errors.
  ///
  /// - Parameters:
  ///   - what: Names the operation in error messages, e.g. "workshop cyber".
  ///   - body: The statements; throwing rolls everything back.
  /// - Throws: ``StoreError`` (database errors translated), or whatever `body` throws.
  func transaction<T>(_ what: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
    try translatingErrors(what()) {
      try connection.withTransaction { try body() }
    }
  }
}

extension ConsultStore {
  /// The table that stores entities of a kind (fixed names from `Schema/0001_initial.sql`);
  /// the one place statements that cannot name their table literally take it from.
  ///
  /// - Parameter kind: The entity kind.
  /// - Returns: `consultations`, `workshops`, `invitations`, `contributions`, `proceedings_summaries`,
  ///   `drafts` or `draft_comments`.
  public static func tableName(of kind: EntityKind) -> String {
    switch kind {
    case .consultation: "consultations"
    case .workshop: "workshops"
    case .invitation: "invitations"
    case .contribution: "contributions"
    case .proceedingsSummary: "proceedings_summaries"
    case .draft: "drafts"
    case .comment: "draft_comments"
    }
  }
}

/// Files shipped with the program: the SQL migrations (`Schema/`) and the
/// workflow definitions (`Workflows/`), copied from the package's top level.
public enum BundledFiles {
  /// The directory of migrations: `$CONSULT_SCHEMA_DIR` if set, else the copy
  /// shipped in the resource bundle.
  public static var schemaDirectory: URL {
    if let path = ProcessInfo.processInfo.environment["CONSULT_SCHEMA_DIR"], !path.isEmpty {
      return URL(fileURLWithPath: path)
    }
    return Bundle.module.resourceURL!.appendingPathComponent("Schema")
  }

  /// The directory of shipped workflows: `$CONSULT_WORKFLOWS_DIR` if set, else
  /// the copy shipped in the resource bundle.
  public static var workflowsDirectory: URL {
    if let path = ProcessInfo.processInfo.environment["CONSULT_WORKFLOWS_DIR"], !path.isEmpty {
      return URL(fileURLWithPath: path)
    }
    return Bundle.module.resourceURL!.appendingPathComponent("Workflows")
  }
}
