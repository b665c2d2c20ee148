import ConsultCore
import Foundation
import Postgres

extension ConsultStore {
  /// Logs a record event (``ConsultCore/RecordEvent``): a change to `entity`'s data that leaves its
  /// state as it is, inside the caller's transaction.
  ///
  /// Like a transition, it is a compare-and-set on the entity's version in the statement that
  /// appends the event, so a concurrent transition or record event on the same entity makes one of
  /// the two fail with a conflict instead of interleaving (PostgreSQL docs §13.2.1).
  ///
  /// - Parameters:
  ///   - event: One of ``ConsultCore/RecordEvent/names``.
  ///   - entity: The entity changed.
  ///   - actor: Who changed it.
  ///   - reason: An optional note.
  ///   - data: What is needed to reconstruct the change, stored as a JSON object of strings (or
  ///     null); times as ISO 8601 UTC.
  ///   - contentHash: The SHA-256 (hex) of the content the event creates
  ///     (``contentHash(summaryTitle:body:)``), for an event that changes an entity's content; nil
  ///     otherwise.
  ///   - time: When the change happened, to record the past; nil: now.
  /// - Returns: The event logged (from and to the current state).
  /// - Throws: ``StoreError`` (`.notFound`, `.conflict` when the entity changed concurrently).
  @discardableResult
  func recordChange(
    _ event: String, on entity: EntityReference, actor: String, reason: String? = nil, data: [String: String?],
    contentHash: String? = nil, at time: Date? = nil
  ) throws -> TransitionRecord {
    precondition(RecordEvent.names.contains(event), "\(event) is not a record event")
    let loaded = try load(entity)
    try Self.requireOpen(
      state: loaded.consultationState, of: try workflow(name: loaded.workflowName, version: loaded.workflowVersion),
      doing: "'\(event)' on \(entity)")
    let appended = try connection.queryPrepared(
      Self.transitionSQL(entity.kind),
      [
        loaded.state, entity.id, loaded.version, loaded.consultationID, entity.kind.rawValue, event, loaded.state,
        actor, reason, loaded.workflowName, loaded.workflowVersion, time.map(PostgresTimestamp.init),
        Self.jsonObject(data), contentHash,
      ])
    guard let row = appended.rows.first else {
      throw StoreError(
        .conflict, "\(entity) was changed by someone else at the same time; nothing was written — try again")
    }
    return TransitionRecord(
      eventID: try row.decode("id"), entityKind: entity.kind.rawValue, entityID: entity.id, event: event,
      fromState: loaded.state, toState: loaded.state)
  }

  /// The content hash of a summary revision (SQL `consult_summary_content`, migration 0012: the one
  /// place it is computed).
  func contentHash(summaryTitle title: String, body: String) throws -> String {
    try connection.query("SELECT encode(consult_summary_content($1, $2), 'hex') AS h", [title, body]).rows[0]
      .decode("h")
  }

  /// Locks an entity's row until the transaction ends (`SELECT … FOR UPDATE`), so that what a
  /// record event reads of it (a summary's current text, a workshop's times) is what it replaces:
  /// a concurrent writer of the same entity waits, then reads the new values.
  ///
  /// - Parameter entity: The entity.
  func lockForChange(_ entity: EntityReference) throws {
    try connection.execute(
      "SELECT 1 FROM " + connection.quoteIdentifier(Self.tableName(of: entity.kind)) + " WHERE id = $1 FOR UPDATE",
      [entity.id])
  }

  /// A JSON object text of string (or null) values, keys sorted.
  static func jsonObject(_ data: [String: String?]) -> String {
    let object = data.mapValues { $0.map { $0 as Any } ?? NSNull() }
    let bytes = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return bytes.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
  }

  /// An instant as ISO 8601 UTC with seconds, for record events' data.
  static func isoText(_ date: Date?) -> String? {
    guard let date else { return nil }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: date)
  }
}
