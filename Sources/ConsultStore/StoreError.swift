import ConsultCore
import Postgres

/// An error from a store use case, written for the person at the terminal.
///
/// `description` is a sentence a user can act on; it never contains SQL text
/// or parameters. The underlying ``PostgresError`` (with SQLSTATE, detail and
/// constraint) is kept in ``underlying`` and shown by `debugDescription`.
public struct StoreError: Error, CustomStringConvertible, CustomDebugStringConvertible {
  /// What went wrong, as a small open set of kinds (struct with static members
  /// so new kinds can be added without breaking callers' `switch`es).
  public struct Kind: Hashable, Sendable, CustomStringConvertible {
    let name: String
    /// The workflow refused the event (see ``StoreError/refusal``).
    public static let refused = Kind(name: "refused")
    /// A named consultation, stakeholder, workshop… does not exist.
    public static let notFound = Kind(name: "not found")
    /// The input is invalid (a bad value, an unknown theme, a malformed file).
    public static let invalidInput = Kind(name: "invalid input")
    /// Something with the same identity already exists.
    public static let alreadyExists = Kind(name: "already exists")
    /// Another writer changed the entity between our read and our write
    /// (optimistic compare-and-set on `version` failed); nothing was written.
    public static let conflict = Kind(name: "conflict")
    /// The database schema is missing or older than this program expects.
    public static let schema = Kind(name: "schema")
    /// The database reported an error this store does not translate.
    public static let database = Kind(name: "database")
    /// The kind's name, e.g. "conflict".
    public var description: String { name }
  }

  /// The kind of failure.
  public let kind: Kind
  /// The user-facing message.
  public let message: String
  /// The workflow's refusal when ``kind`` is ``Kind/refused``.
  public let refusal: Refusal?
  /// The PostgreSQL error behind this one, if any.
  public let underlying: PostgresError?

  /// Makes an error.
  /// - Parameters:
  ///   - kind: The kind of failure.
  ///   - message: A sentence for the user; no SQL, no parameters.
  ///   - refusal: The workflow refusal, for ``Kind/refused``.
  ///   - underlying: The database error behind it, if any.
  public init(
    _ kind: Kind, _ message: String, refusal: Refusal? = nil, underlying: PostgresError? = nil
  ) {
    self.kind = kind
    self.message = message
    self.refusal = refusal
    self.underlying = underlying
  }

  /// The user-facing message.
  public var description: String { message }

  /// The message plus the database error's full detail (SQLSTATE, fields).
  public var debugDescription: String {
    var text = "\(kind): \(message)"
    if let underlying { text += "\n" + underlying.debugDescription }
    return text
  }

  /// Wraps a workflow refusal.
  static func refused(_ refusal: Refusal) -> StoreError {
    StoreError(.refused, refusal.description, refusal: refusal)
  }

  /// Translates a database error into a store error, naming `what` in the message.
  ///
  /// SQLSTATE classes from PostgreSQL docs, Appendix A: 23505 unique
  /// violation → already exists; 23503/23514/23502/22xxx → invalid input;
  /// 40001 serialization failure → conflict. A violated CHECK or UNIQUE constraint of the
  /// schema is said as the rule it enforces (``NameRule``), never by its name.
  static func translating(_ error: PostgresError, _ what: String) -> StoreError {
    switch error.sqlState {
    case SQLState.uniqueViolation?:
      let meaning = error.constraint.flatMap(NameRule.meaning(ofUnique:))
      return StoreError(
        .alreadyExists, meaning.map { "\(what): \($0)" } ?? "\(what) already exists", underlying: error)
    case SQLState.checkViolation?:
      let meaning = error.constraint.flatMap(NameRule.meaning(ofCheck:)) ?? "a value is not allowed"
      return StoreError(.invalidInput, "\(what): \(meaning)", underlying: error)
    case SQLState.foreignKeyViolation? where error.message.hasPrefix("unknown actor"):
      return StoreError(
        .notFound, "\(error.message); register it first with `consult actor add HANDLE --name NAME`",
        underlying: error)
    case SQLState.foreignKeyViolation?, SQLState.notNullViolation?:
      return StoreError(.invalidInput, "\(what): \(error.message)", underlying: error)
    case SQLState.serializationFailure?:
      // Raised by the event log when a writer read the consultation before a concurrent workflow
      // migration committed (migration 0004): nothing was written.
      return StoreError(
        .conflict,
        "\(what): the consultation moved to another workflow version meanwhile; nothing was written — try again",
        underlying: error)
    case SQLState.undefinedTable?:
      return StoreError(
        .schema, "the database has no consult schema yet; run `consult db migrate`",
        underlying: error)
    case let code? where code.hasPrefix("22"):
      return StoreError(.invalidInput, "\(what): \(error.message)", underlying: error)
    default:
      return StoreError(.database, "\(what): \(error.description)", underlying: error)
    }
  }
}

/// Runs `body`, translating any ``PostgresError`` it throws into a ``StoreError``.
func translatingErrors<T>(_ what: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let error as PostgresError {
    throw StoreError.translating(error, what())
  }
}
