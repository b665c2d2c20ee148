import ConsultCore
import Foundation
import Postgres

extension ConsultStore {
  /// Registers a workflow file in the database so every user of the server
  /// runs consultations on the same definition.
  ///
  /// The file is parsed and validated by ``WorkflowDefinition/parse(yaml:file:)``
  /// first; an invalid file is never stored. Registering the same name and
  /// version again with identical content is a no-op. With different content
  /// it is refused while the version is in use — a consultation is pinned to
  /// it, or the event log has events recorded under it (a consultation that
  /// migrated away keeps its history, which `consult log check` replays
  /// against that version) — naming those consultations. A registered version
  /// nothing uses yet (say, left behind by an `open` that failed) is replaced
  /// by the new content.
  ///
  /// - Parameters:
  ///   - source: The file's text (UTF-8).
  ///   - file: The file's path, for error messages.
  /// - Returns: The parsed definition.
  /// - Throws: ``WorkflowError`` for an invalid file; ``StoreError``
  ///   (`.alreadyExists`) when the version is in use with other content.
  @discardableResult
  public func registerWorkflow(source: String, file: String) throws -> WorkflowDefinition {
    let definition = try WorkflowDefinition.parse(yaml: source, file: file)
    try transaction("workflow \(definition.name)") {
      try register(definition, source: source, file: file)
    }
    return definition
  }

  /// The body of ``registerWorkflow(source:file:)`` for a caller that holds an open transaction
  /// (at the default isolation level, read committed).
  ///
  /// Safe when several processes register the same version at once (say, commands started
  /// together on a fresh database that each `open` a consultation): the insert does nothing
  /// when a concurrent transaction inserted the row first, and that row is then judged like
  /// any registered one.
  func register(_ definition: WorkflowDefinition, source: String, file: String) throws {
    if try registerIfAbsent(definition, source: source, file: file) { return }
    // A concurrent registration inserted the version after our look and has committed (the
    // insert waited for it); this statement's snapshot sees it.
    if try registerIfAbsent(definition, source: source, file: file) { return }
    throw StoreError(
      .conflict,
      "workflow \(definition.name) version \(definition.version) changed while it was being registered; try again")
  }

  /// One attempt of ``register(_:source:file:)``: judges the registered row if there is one
  /// (returns `true`), else inserts it unless a concurrent transaction did first (returns
  /// whether the version is now settled: `false` when that concurrent insert won).
  private func registerIfAbsent(_ definition: WorkflowDefinition, source: String, file: String) throws -> Bool {
    // FOR UPDATE: a concurrent `open` pinning this version waits (its foreign key check needs
    // the row), so nothing starts using the version between the check and a replacement.
    let existing = try connection.query(
      """
      SELECT content_hash = encode(sha256(convert_to($3, 'UTF8')), 'hex') AS same
      FROM workflow_definitions WHERE name = $1 AND version = $2 FOR UPDATE
      """, [definition.name, definition.version, source])
    if let row = existing.rows.first {
      let same: Bool = try row.decode("same")
      if same { return true }
      let users = try workflowUsers(name: definition.name, version: definition.version)
      if !users.pinned.isEmpty || !users.history.isEmpty {
        var uses: [String] = []
        if !users.pinned.isEmpty { uses.append("consultations on it: \(users.pinned.joined(separator: ", "))") }
        if !users.history.isEmpty {
          uses.append("consultations whose event log was recorded under it: \(users.history.joined(separator: ", "))")
        }
        throw StoreError(
          .alreadyExists,
          "\(file): workflow \(definition.name) version \(definition.version) is already registered with different "
            + "content and is in use (\(uses.joined(separator: "; "))); give the changed file a new version and "
            + "move consultations to it with `consult workflow migrate CONSULTATION --to VERSION --file FILE`"
        )
      }
      try connection.execute(
        """
        UPDATE workflow_definitions
        SET content_hash = encode(sha256(convert_to($3, 'UTF8')), 'hex'), source = $3, registered_at = now()
        WHERE name = $1 AND version = $2
        """, [definition.name, definition.version, source])
      workflowCache["\(definition.name)@\(definition.version)"] = nil
      return true
    }
    let inserted = try connection.execute(
      """
      INSERT INTO workflow_definitions (name, version, content_hash, source)
      VALUES ($1, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'), $3)
      ON CONFLICT DO NOTHING  -- any unique index: the key and workflow_definitions_exact (0004) race alike
      """, [definition.name, definition.version, source])
    return inserted == 1
  }

  /// The consultations that use a registered version: those pinned to it now, and those (pinned
  /// elsewhere now) whose event log has events recorded under it; each list by slug.
  func workflowUsers(name: String, version: String) throws -> (pinned: [String], history: [String]) {
    let pinned = try connection.query(
      "SELECT slug FROM consultations WHERE workflow_name = $1 AND workflow_version = $2 ORDER BY slug",
      [name, version]
    ).map { try $0.decode("slug", as: String.self) }
    let history = try connection.query(
      """
      SELECT c.slug FROM consultations c
      WHERE NOT (c.workflow_name = $1 AND c.workflow_version = $2)
        AND EXISTS (SELECT 1 FROM events e WHERE e.consultation_id = c.id
                    AND e.workflow_name = $1 AND e.workflow_version = $2)
      ORDER BY c.slug
      """, [name, version]
    ).map { try $0.decode("slug", as: String.self) }
    return (pinned, history)
  }

  /// Finds a workflow by file path or by the name of a shipped workflow, and registers it.
  ///
  /// - Parameter reference: A path to a YAML file (contains `/` or ends in
  ///   `.yaml`/`.yml`), or the name of a file in ``BundledFiles/workflowsDirectory``.
  /// - Returns: The registered definition.
  /// - Throws: ``StoreError`` (`.notFound`) when no such file exists; see
  ///   ``registerWorkflow(source:file:)``.
  public func resolveWorkflow(_ reference: String) throws -> WorkflowDefinition {
    let url: URL
    if reference.contains("/") || reference.hasSuffix(".yaml") || reference.hasSuffix(".yml") {
      url = URL(fileURLWithPath: reference)
    } else {
      url = BundledFiles.workflowsDirectory.appendingPathComponent(reference + ".yaml")
    }
    guard let data = FileManager.default.contents(atPath: url.path) else {
      if url.deletingLastPathComponent() == BundledFiles.workflowsDirectory {
        let shipped =
          (try? FileManager.default.contentsOfDirectory(atPath: BundledFiles.workflowsDirectory.path))?
          .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted() ?? []
        throw StoreError(
          .notFound,
          "no shipped workflow '\(reference)'\(Phrasing.didYouMean(reference, among: shipped)); "
            + "shipped: \(shipped.joined(separator: ", ")); or give the path of a workflow file")
      }
      throw StoreError(.notFound, "workflow \(reference): cannot read \(url.path)")
    }
    guard let source = String(data: data, encoding: .utf8) else {
      throw StoreError(.invalidInput, "\(url.path): not valid UTF-8")
    }
    return try registerWorkflow(source: source, file: url.path)
  }

  /// The workflow a consultation is pinned to, parsed from the registered copy.
  ///
  /// - Parameters:
  ///   - name: The workflow's name.
  ///   - version: The workflow's version.
  /// - Throws: ``StoreError`` (`.notFound`); ``WorkflowError`` if the stored
  ///   copy no longer validates.
  func workflow(name: String, version: String) throws -> WorkflowDefinition {
    let key = "\(name)@\(version)"
    if let cached = workflowCache[key] { return cached }
    let rows = try connection.query(
      "SELECT source FROM workflow_definitions WHERE name = $1 AND version = $2", [name, version])
    guard let row = rows.rows.first else {
      throw StoreError(.notFound, "workflow \(name) version \(version) is not registered")
    }
    let definition = try WorkflowDefinition.parse(
      yaml: try row.decode("source"), file: "\(name)@\(version) (registered)")
    workflowCache[key] = definition
    return definition
  }
}
