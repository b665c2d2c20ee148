import ConsultCore
import Foundation
import Postgres

extension ConsultStore {
  /// Registers a workflow file in the database so every user of the server
  /// runs consultations on the same definition.
  ///
  /// The file is parsed and validated by ``WorkflowDefinition/parse(yaml:file:)``
  /// first; an invalid file is never stored. Registering the same name and
  /// version again with identical content is a no-op; with different content
  /// it is refused (a version, once registered, names exactly one file).
  ///
  /// - Parameters:
  ///   - source: The file's text (UTF-8).
  ///   - file: The file's path, for error messages.
  /// - Returns: The parsed definition.
  /// - Throws: ``WorkflowError`` for an invalid file; ``StoreError``
  ///   (`.alreadyExists`) when the version is registered with other content.
  @discardableResult
  public func registerWorkflow(source: String, file: String) throws -> WorkflowDefinition {
    let definition = try WorkflowDefinition.parse(yaml: source, file: file)
    try transaction("workflow \(definition.name)") {
      let existing = try connection.query(
        """
        SELECT content_hash = encode(sha256(convert_to($3, 'UTF8')), 'hex') AS same
        FROM workflow_definitions WHERE name = $1 AND version = $2
        """, [definition.name, definition.version, source])
      if let row = existing.rows.first {
        let same: Bool = try row.decode("same")
        if !same {
          throw StoreError(
            .alreadyExists,
            "\(file): workflow \(definition.name) version \(definition.version) is already registered with different content; give the changed file a new version"
          )
        }
        return
      }
      try connection.execute(
        """
        INSERT INTO workflow_definitions (name, version, content_hash, source)
        VALUES ($1, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'), $3)
        """, [definition.name, definition.version, source])
    }
    return definition
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
        let shipped = (try? FileManager.default.contentsOfDirectory(atPath: BundledFiles.workflowsDirectory.path))?
          .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted() ?? []
        throw StoreError(
          .notFound,
          "no shipped workflow '\(reference)' (shipped: \(shipped.joined(separator: ", "))); or give the path of a workflow file"
        )
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
