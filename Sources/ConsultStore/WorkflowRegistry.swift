import ConsultCore
import Foundation
import Postgres

/// A workflow definition registered in the database, for `consult workflow list`.
public struct RegisteredWorkflow: Sendable, Equatable, Encodable {
  /// The workflow's name (`workflow:` in the file).
  public let name: String
  /// The version, as written in the file.
  public let version: String
  /// SHA-256 (hex) of the file's bytes as registered.
  public let contentHash: String
  /// When it was first registered.
  public let registeredAt: Date
  /// How many consultations are pinned to this exact name and version.
  public let consultations: Int
}

extension ConsultStore {
  /// Every registered workflow version with the number of consultations pinned to it.
  ///
  /// - Returns: Ordered by name, then registration time, then version.
  /// - Throws: ``StoreError`` (`.database`, `.schema`).
  public func registeredWorkflows() throws -> [RegisteredWorkflow] {
    try translatingErrors("workflow list") {
      let rows = try connection.query(
        """
        SELECT w.name, w.version, w.content_hash, w.registered_at, count(c.id) AS consultations
        FROM workflow_definitions w
        LEFT JOIN consultations c ON c.workflow_name = w.name AND c.workflow_version = w.version
        GROUP BY w.name, w.version, w.content_hash, w.registered_at
        ORDER BY w.name, w.registered_at, w.version
        """)
      return try rows.map { row in
        RegisteredWorkflow(
          name: try row.decode("name"), version: try row.decode("version"),
          contentHash: try row.decode("content_hash"),
          registeredAt: try row.decode("registered_at", as: PostgresTimestamp.self).date,
          consultations: try row.decode("consultations"))
      }
    }
  }
}
