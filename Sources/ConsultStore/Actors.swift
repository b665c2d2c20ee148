import Foundation
import Postgres

/// Someone who records things: the event log and every side table refer to actors by id
/// (migration 0012); the display name can be erased without touching the record.
public struct Actor: Sendable, Equatable, Encodable {
  /// Database id, what the log and its hashes refer to.
  public let id: Int64
  /// The handle given with `--actor`: `[a-z0-9][a-z0-9._-]*`, at most 64 characters.
  public let handle: String
  /// Display name (personal data), if given.
  public let name: String?
}

extension ConsultStore {
  /// Whether `handle` may name an actor: `[a-z0-9][a-z0-9._-]*`, at most 64 characters (so never an
  /// e-mail address or a name with spaces).
  public static func isValidActorHandle(_ handle: String) -> Bool {
    guard (1...64).contains(handle.utf8.count), let first = handle.utf8.first,
      (0x61...0x7A).contains(first) || (0x30...0x39).contains(first)
    else { return false }
    return handle.utf8.allSatisfy {
      (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D
    }
  }

  /// Registers an actor in a transaction of its own (nothing else waits on it), or returns the
  /// existing one with that handle (its name updated when `name` is given).
  ///
  /// - Parameters:
  ///   - handle: The handle (``isValidActorHandle(_:)``).
  ///   - name: A display name (at most ``NameRule/maxNameLength`` characters, as a stakeholder's),
  ///     or nil.
  /// - Returns: The actor.
  /// - Throws: ``StoreError`` (`.invalidInput` for a handle that is not valid, naming the rule, or a
  ///   blank or over-long name).
  @discardableResult
  public func registerActor(_ handle: String, name: String? = nil) throws -> Actor {
    guard Self.isValidActorHandle(handle) else {
      throw StoreError(
        .invalidInput,
        "actor '\(handle)': a handle is lower-case letters, digits, '.', '_' and '-' (at most 64, starting "
          + "with a letter or digit), e.g. head-of-division; never an e-mail address or a name")
    }
    if let name { try NameRule.requireName(name, "the actor's name") }
    return try transaction("actor \(handle)") {
      let row = try connection.query(
        """
        INSERT INTO actors (handle, name) VALUES ($1, $2)
        ON CONFLICT (handle) DO UPDATE SET name = coalesce(EXCLUDED.name, actors.name)
        RETURNING id, handle, name
        """, [handle, name]
      ).rows[0]
      return Actor(id: try row.decode("id"), handle: try row.decode("handle"), name: try row.decode("name"))
    }
  }

  /// The actor with `handle`, or nil when there is none.
  ///
  /// - Throws: ``StoreError`` (`.database`).
  public func actor(_ handle: String) throws -> Actor? {
    try translatingErrors("actor \(handle)") {
      try connection.query(
        "SELECT id, handle, name FROM actors WHERE handle = $1 AND erased_at IS NULL", [handle]
      ).rows.first.map {
        Actor(id: try $0.decode("id"), handle: try $0.decode("handle"), name: try $0.decode("name"))
      }
    }
  }

  /// Every actor, by handle.
  ///
  /// - Throws: ``StoreError`` (`.database`).
  public func actors() throws -> [Actor] {
    try translatingErrors("actors") {
      try connection.query("SELECT id, handle, name FROM actors WHERE erased_at IS NULL ORDER BY handle").map {
        Actor(id: try $0.decode("id"), handle: try $0.decode("handle"), name: try $0.decode("name"))
      }
    }
  }
}
