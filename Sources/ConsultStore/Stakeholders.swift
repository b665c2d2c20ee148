import ConsultCore
import Foundation
import Postgres

/// A stakeholder: a person or an organisation. The only place personal data lives.
public struct Stakeholder: Sendable, Equatable, Encodable {
  /// Whether a stakeholder is a person or an organisation.
  public enum Kind: String, Sendable, Encodable, CaseIterable {
    /// A natural person.
    case person
    /// An organisation (institution, company, association, ministry…).
    case organisation
  }
  /// Database id.
  public let id: Int64
  /// The short handle users type, e.g. `ict4peace`; nil for imported stakeholders.
  public let handle: String?
  /// How to refer to this stakeholder: the handle, or `#id` when it has none.
  public var reference: String { handle ?? "#\(id)" }
  /// Person or organisation.
  public let kind: Kind
  /// Display name (personal data for persons).
  public let name: String
  /// Role or position, e.g. "President".
  public let role: String?
  /// The stakeholder group key, e.g. `international-partners`.
  public let group: String?
  /// The handle (or name) of the organisation a person belongs to.
  public let organisation: String?
}

/// A stakeholder group (parliament, ministries, academia…).
public struct StakeholderGroup: Sendable, Equatable, Encodable {
  /// Key, e.g. `think-tanks`.
  public let key: String
  /// Display name.
  public let name: String
}

extension ConsultStore {
  /// Creates a stakeholder.
  ///
  /// - Parameters:
  ///   - handle: Unique short handle (`[a-z0-9][a-z0-9._-]*`).
  ///   - kind: Person or organisation.
  ///   - name: Display name.
  ///   - group: A stakeholder group key (see ``stakeholderGroups()``); a
  ///     person without one inherits their organisation's.
  ///   - organisation: Handle of the organisation a person belongs to.
  ///   - role: Role or position.
  ///   - email: Contact address (personal data; kept only here).
  ///   - actor: The handle of the registered actor adding it.
  ///   - time: When it was added, to record the past; nil: now.
  /// - Returns: The new stakeholder.
  /// - Throws: ``StoreError``: `.alreadyExists` for a taken handle or an
  ///   organisation whose name matches an existing one; `.notFound` for an
  ///   unknown organisation or actor; `.invalidInput` for an unknown group, a handle not
  ///   following ``NameRule/handle``, or an empty name or one longer than
  ///   ``NameRule/maxNameLength``.
  ///
  /// The addition is an event of the stakeholder register (`added`, migration 0016) in the same
  /// transaction; the event holds the stakeholder's id, kind, group and organisation id, never
  /// its name, handle, role or e-mail address.
  @discardableResult
  public func addStakeholder(
    handle: String, kind: Stakeholder.Kind, name: String, group: String?, organisation: String? = nil,
    role: String? = nil, email: String? = nil, actor: String, at time: Date? = nil
  ) throws -> Stakeholder {
    try NameRule.handle.check(handle)
    try NameRule.requireName(name, "the stakeholder's name")
    return try transaction("stakeholder \(handle)") {
      if let group, try connection.query("SELECT 1 FROM stakeholder_groups WHERE key = $1", [group]).isEmpty {
        let known = try stakeholderGroups().map(\.key)
        throw StoreError(
          .invalidInput,
          "unknown stakeholder group '\(group)'\(Phrasing.didYouMean(group, among: known)); known groups: "
            + known.joined(separator: ", "))
      }
      var organisationID: Int64?
      var effectiveGroup = group
      if let organisation {
        guard kind == .person else {
          throw StoreError(.invalidInput, "only a person can belong to an organisation")
        }
        let org = try stakeholder(organisation)
        guard org.kind == .organisation else {
          throw StoreError(.invalidInput, "'\(organisation)' is a person, not an organisation")
        }
        organisationID = org.id
        effectiveGroup = effectiveGroup ?? org.group
      }
      if kind == .organisation {
        let clash = try connection.query(
          """
          SELECT coalesce(handle, name) AS who FROM stakeholders
          WHERE kind = 'organisation' AND match_key = consult_match_key($1)
          """, [name])
        if let row = clash.rows.first {
          let who: String = try row.decode("who")
          throw StoreError(.alreadyExists, "organisation '\(name)' already exists as '\(who)'")
        }
      }
      let id: Int64 = try connection.query(
        """
        INSERT INTO stakeholders (handle, kind, name, email, role, stakeholder_group, organisation_id, match_key)
        VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $2 = 'organisation' THEN consult_match_key($3) END)
        RETURNING id
        """, [handle, kind.rawValue, name, email, role, effectiveGroup, organisationID]
      ).rows[0].decode("id")
      try appendRegisterEvent(
        "added", stakeholder: id, created: true, actor: actor, reason: nil,
        data: ["kind": kind.rawValue, "group": effectiveGroup, "organisation_id": organisationID.map(String.init)],
        at: time)
      return try stakeholder(handle)
    }
  }

  /// Looks a stakeholder up by handle.
  ///
  /// - Throws: ``StoreError`` (`.notFound`).
  public func stakeholder(_ handle: String) throws -> Stakeholder {
    try translatingErrors("stakeholder \(handle)") {
      let rows = try connection.query(Self.stakeholderSelect + " WHERE s.handle = $1", [handle])
      guard let row = rows.rows.first else {
        let handles = try connection.query("SELECT handle FROM stakeholders WHERE handle IS NOT NULL ORDER BY handle")
          .map { try $0.decode("handle", as: String.self) }
        throw StoreError(
          .notFound,
          "no stakeholder '\(handle)'\(Phrasing.didYouMean(handle, among: handles)); see `consult stakeholder list`")
      }
      return try Self.decodeStakeholder(row)
    }
  }

  /// Stakeholders: by default those with a handle (created by hand), by
  /// handle; with `includeImported`, also those created by imports (no
  /// handle), after them by id.
  ///
  /// - Parameters:
  ///   - includeImported: Also list stakeholders without a handle.
  ///   - limit: At most this many; nil for all.
  public func stakeholders(includeImported: Bool = false, limit: Int? = nil) throws -> [Stakeholder] {
    try translatingErrors("stakeholders") {
      try connection.query(
        Self.stakeholderSelect
          + " WHERE ($1 OR s.handle IS NOT NULL) ORDER BY s.handle IS NULL, s.handle, s.id LIMIT $2",
        [includeImported, limit]
      ).map(Self.decodeStakeholder)
    }
  }

  /// The stakeholder groups, in their display order.
  public func stakeholderGroups() throws -> [StakeholderGroup] {
    try translatingErrors("stakeholder groups") {
      try connection.query("SELECT key, name FROM stakeholder_groups ORDER BY position")
        .map { StakeholderGroup(key: try $0.decode("key"), name: try $0.decode("name")) }
    }
  }

  static let stakeholderSelect = """
    SELECT s.id, s.handle, s.kind, s.name, s.role, s.stakeholder_group, coalesce(o.handle, o.name) AS organisation
    FROM stakeholders s LEFT JOIN stakeholders o ON o.id = s.organisation_id
    """

  static func decodeStakeholder(_ row: PostgresRow) throws -> Stakeholder {
    Stakeholder(
      id: try row.decode("id"), handle: try row.decode("handle", as: String?.self),
      kind: Stakeholder.Kind(rawValue: try row.decode("kind")) ?? .person, name: try row.decode("name"),
      role: try row.decode("role", as: String?.self),
      group: try row.decode("stakeholder_group", as: String?.self),
      organisation: try row.decode("organisation", as: String?.self))
  }
}
