import Foundation
import Testing

/// The command-line conventions every command follows (issue 9, items 9 and 10): the version,
/// one JSON key style, `--actor` only where a change records it, one option name per thing,
/// rules instead of constraint names, suggestions for near misses, numbers and plurals, export
/// destinations, completions and the manual page, search snippets, attribution fields and PDF
/// paper sizes. Each runs the built binary against a fresh database.
@Suite("Command-line conventions")
struct ConventionsTests {
  /// Parses standard output as a JSON object.
  static func object(_ outcome: CLI.Outcome) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
  }

  /// Every key of a JSON value, at any depth, except the keys of `counts` (state names, i.e. data).
  static func keys(_ value: Any) -> [String] {
    if let object = value as? [String: Any] {
      return object.flatMap { key, nested in [key] + (key == "counts" ? [] : keys(nested)) }
    }
    if let array = value as? [Any] { return array.flatMap(keys) }
    return []
  }

  /// Whether a key is snake_case: lower-case letters, digits and underscores.
  static func isSnakeCase(_ key: String) -> Bool {
    key.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
  }

  @Test("consult --version prints the version")
  func version() throws {
    let cli = try CLI()
    let outcome = try cli.ok(["--version"])
    #expect(outcome.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, "\(outcome.stdout)")
  }
}
