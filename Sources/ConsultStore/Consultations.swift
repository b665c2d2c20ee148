import ConsultCore
import Foundation
import Postgres

/// A consultation as stored.
public struct Consultation: Sendable, Equatable, Encodable {
  /// Database id.
  public let id: Int64
  /// The short name users type, e.g. `white-paper-2016`.
  public let slug: String
  /// The title.
  public let title: String
  /// The owning institution, if recorded.
  public let owner: String?
  /// The workflow it is pinned to: name.
  public let workflowName: String
  /// The workflow it is pinned to: version.
  public let workflowVersion: String
  /// The current phase (a consultation state of its workflow).
  public let state: String
  /// When it was opened (UTC, microseconds).
  public let openedAt: Date
  /// Its deadline (UTC, microseconds), read by workflow timers `at: consultation.deadline`;
  /// `nil` when none is set.
  public let deadline: Date?
}

/// A theme (guiding question) contributions are grouped under.
public struct Theme: Sendable, Equatable, Encodable {
  /// Short key users type, e.g. `instruments`.
  public let key: String
  /// The question or title.
  public let title: String
  /// Makes a theme.
  /// - Parameters:
  ///   - key: Short key (`[a-z0-9][a-z0-9-]*`).
  ///   - title: The question or title.
  public init(key: String, title: String) {
    self.key = key
    self.title = title
  }
}

extension ConsultStore {
  /// Opens a consultation on a workflow: creates it in the workflow's initial
  /// consultation state and logs the `open` event, in one transaction.
  ///
  /// - Parameters:
  ///   - slug: The short name (`[a-z0-9][a-z0-9-]*`), unique on the server.
  ///   - title: The title.
  ///   - owner: The owning institution, optional.
  ///   - workflow: The registered definition (see ``resolveWorkflow(_:)``).
  ///   - themes: Themes to create, in order.
  ///   - openedAt: The opening time; nil means now.
  ///   - deadline: The consultation's deadline (an instant; stored in UTC), read by timers
  ///     `at: consultation.deadline`; nil for none.
  ///   - actor: Who opened it.
  /// - Returns: The new consultation.
  /// - Throws: ``StoreError`` (`.alreadyExists`; `.invalidInput` for a slug or theme key not following
  ///   its ``NameRule``, an empty title, or a theme key given twice).
  public func openConsultation(
    slug: String, title: String, owner: String?, workflow: WorkflowDefinition, themes: [Theme] = [],
    openedAt: Date? = nil, deadline: Date? = nil, actor: String
  ) throws -> Consultation {
    try NameRule.slug.check(slug)
    try NameRule.requireText(title, "the consultation's title")
    var keys: Set<String> = []
    for theme in themes {
      try Self.checkTheme(theme)
      guard keys.insert(theme.key).inserted else {
        throw StoreError(.invalidInput, "theme '\(theme.key)' is given twice; give each theme key once")
      }
    }
    let machine = try workflow.machine(for: .consultation)
    return try transaction("consultation \(slug)") {
      let rows = try connection.query(
        """
        INSERT INTO consultations (slug, title, owner, workflow_name, workflow_version, state, opened_at, deadline)
        VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, now()), $8)
        RETURNING id
        """,
        [
          slug, title, owner, workflow.name, workflow.version, machine.initialState,
          openedAt.map(PostgresTimestamp.init), deadline.map(PostgresTimestamp.init),
        ])
      let id: Int64 = try rows.rows[0].decode("id")
      _ = try appendEvent(
        consultationID: id, entity: EntityReference(.consultation, id), event: "open", from: nil,
        to: machine.initialState, actor: actor, reason: nil, workflow: (workflow.name, workflow.version),
        at: openedAt)
      for (position, theme) in themes.enumerated() {
        try connection.execute(
          "INSERT INTO themes (consultation_id, key, title, position) VALUES ($1, $2, $3, $4)",
          [id, theme.key, theme.title, position + 1])
      }
      return try consultation(slug)
    }
  }

  /// Adds a theme to a consultation, logged as an `add-theme` record event on it.
  ///
  /// - Parameters:
  ///   - theme: The key and title.
  ///   - slug: The consultation.
  ///   - actor: Who added it.
  ///   - time: When, to record the past; nil: now.
  /// - Throws: ``StoreError`` (`.notFound`, `.alreadyExists`, `.conflict`; `.invalidInput` for a key
  ///   not following ``NameRule/themeKey`` or an empty title).
  public func addTheme(_ theme: Theme, to slug: String, actor: String, at time: Date? = nil) throws {
    try Self.checkTheme(theme)
    try transaction("theme \(theme.key) of \(slug)") {
      let consultation = try consultation(slug)
      try connection.execute(
        """
        INSERT INTO themes (consultation_id, key, title, position)
        SELECT $1, $2, $3, coalesce(max(position), 0) + 1 FROM themes WHERE consultation_id = $1
        """, [consultation.id, theme.key, theme.title])
      try recordChange(
        RecordEvent.themeAdded, on: EntityReference(.consultation, consultation.id), actor: actor,
        data: ["key": theme.key, "title": theme.title], at: time)
    }
  }

  /// Refuses a theme whose key breaks ``NameRule/themeKey`` or whose title is empty.
  static func checkTheme(_ theme: Theme) throws {
    try NameRule.themeKey.check(theme.key)
    try NameRule.requireText(theme.title, "the title of theme '\(theme.key)'")
  }

  /// Refuses `theme` unless the consultation has it, listing the themes it has and the one
  /// perhaps meant.
  ///
  /// - Throws: ``StoreError`` (`.invalidInput`): "unknown theme 'instrument' in 'wp' (did you mean
  ///   'instruments'?); known themes: instruments, framework".
  func requireTheme(_ theme: String, in consultation: Consultation) throws {
    let known = try themes(of: consultation.id).map(\.key)
    guard !known.contains(theme) else { return }
    throw StoreError(
      .invalidInput,
      "unknown theme '\(theme)' in '\(consultation.slug)'\(Phrasing.didYouMean(theme, among: known)); known themes: "
        + (known.isEmpty ? "none (add one with `consult theme add`)" : known.joined(separator: ", ")))
  }

  /// The themes of a consultation, in order.
  public func themes(of consultationID: Int64) throws -> [Theme] {
    try translatingErrors("themes") {
      try connection.query(
        "SELECT key, title FROM themes WHERE consultation_id = $1 ORDER BY position, key", [consultationID]
      ).map { Theme(key: try $0.decode("key"), title: try $0.decode("title")) }
    }
  }

  /// Looks a consultation up by its slug.
  ///
  /// - Throws: ``StoreError`` (`.notFound`).
  public func consultation(_ slug: String) throws -> Consultation {
    try translatingErrors("consultation \(slug)") {
      let rows = try connection.query(
        """
        SELECT id, slug, title, owner, workflow_name, workflow_version, state, opened_at, deadline
        FROM consultations WHERE slug = $1
        """, [slug])
      guard let row = rows.rows.first else {
        let slugs = try connection.query("SELECT slug FROM consultations ORDER BY slug").map {
          try $0.decode("slug", as: String.self)
        }
        throw StoreError(
          .notFound, "no consultation '\(slug)'\(Phrasing.didYouMean(slug, among: slugs)); see `consult list`")
      }
      return try Self.decodeConsultation(row)
    }
  }

  /// Every consultation, newest first.
  public func consultations() throws -> [Consultation] {
    try translatingErrors("consultations") {
      try connection.query(
        """
        SELECT id, slug, title, owner, workflow_name, workflow_version, state, opened_at, deadline
        FROM consultations ORDER BY opened_at DESC, id DESC
        """
      ).map(Self.decodeConsultation)
    }
  }

  /// Fires an event on a consultation (advances its phase).
  ///
  /// - Parameters:
  ///   - event: An event of the workflow's consultation machine, e.g. `begin-synthesis`.
  ///   - slug: The consultation.
  ///   - actor: Who did it.
  ///   - reason: Optional note for the event log.
  ///   - time: When it happened (to record a past phase change); nil means now.
  /// - Throws: see ``fire(_:on:actor:reason:at:)``.
  @discardableResult
  public func advanceConsultation(
    _ slug: String, event: String, actor: String, reason: String? = nil, at time: Date? = nil
  ) throws -> TransitionRecord {
    let consultation = try consultation(slug)
    return try fire(
      event, on: EntityReference(.consultation, consultation.id), actor: actor, reason: reason, at: time)
  }

  static func decodeConsultation(_ row: PostgresRow) throws -> Consultation {
    Consultation(
      id: try row.decode("id"), slug: try row.decode("slug"), title: try row.decode("title"),
      owner: try row.decode("owner", as: String?.self), workflowName: try row.decode("workflow_name"),
      workflowVersion: try row.decode("workflow_version"), state: try row.decode("state"),
      openedAt: try row.decode("opened_at", as: PostgresTimestamp.self).date,
      deadline: try row.decode("deadline", as: PostgresTimestamp?.self)?.date)
  }

  /// Creates an entity row's first event-log entry (from no state to the initial state).
  func logCreation(
    _ entity: EntityReference, consultation: Consultation, initialState: String, actor: String,
    at time: Date? = nil
  ) throws {
    _ = try appendEvent(
      consultationID: consultation.id, entity: entity, event: "create", from: nil, to: initialState,
      actor: actor, reason: nil, workflow: (consultation.workflowName, consultation.workflowVersion), at: time)
  }

  /// Refuses a change inside a consultation whose own state is final (closed, cancelled,
  /// dissolved…): its record is finished, so nothing is added to it and none of its entities moves.
  ///
  /// - Throws: ``StoreError`` (`.refused`) naming the consultation's final state.
  static func requireOpen(state: String, of definition: WorkflowDefinition, doing what: String) throws {
    guard let machine = definition.machines[.consultation], machine.isFinal(state) else { return }
    throw StoreError(
      .refused,
      "the consultation is '\(state)', a final state of workflow '\(definition.name)': its record is finished, "
        + "so \(what) is refused")
  }

  /// The initial state of a kind in a consultation's workflow.
  ///
  /// - Throws: ``StoreError`` (`.refused`) when the workflow declares no machine for `kind` (a
  ///   `notice-and-comment` consultation has no workshops), naming the machines it declares.
  func initialState(_ kind: EntityKind, in consultation: Consultation) throws -> String {
    let definition = try workflow(name: consultation.workflowName, version: consultation.workflowVersion)
    try Self.requireOpen(
      state: consultation.state, of: definition,
      doing: "recording a new \(kind == .proceedingsSummary ? "summary" : kind.rawValue) in '\(consultation.slug)'")
    guard kind == .contribution || definition.machines[kind] != nil else {
      let declared = EntityKind.allCases.filter { definition.machines[$0] != nil }.map(\.rawValue)
      throw StoreError(
        .refused,
        "consultation '\(consultation.slug)' follows workflow '\(definition.name)', which has no \(kind) "
          + "machine (it declares: \(declared.joined(separator: ", "))), so it records no "
          + (kind == .proceedingsSummary ? "proceedings summaries" : "\(kind)s"))
    }
    return try definition.machine(for: kind).initialState
  }
}
