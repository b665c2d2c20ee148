import Mustache

/// A Mustache template (a user's own, `--template FILE`) that could not be
/// parsed: where, and what the parser expected.
public struct TemplateError: Error, CustomStringConvertible {
  /// The line of the problem, from 1.
  public let line: Int
  /// The column, from 1.
  public let column: Int
  /// What is wrong, in the Mustache parser's words (e.g. `expectedSectionEnd`).
  public let reason: String

  /// "line 2, column 1: expectedSectionEnd".
  public var description: String { "line \(line), column \(column): \(reason)" }

  /// Parses a template, turning the parser's error into a ``TemplateError``.
  static func parse(_ source: String) throws -> MustacheTemplate {
    do {
      return try MustacheTemplate(string: source)
    } catch let error as MustacheTemplate.ParserError {
      throw TemplateError(
        line: error.context.lineNumber, column: error.context.columnNumber, reason: "\(error.error)")
    }
  }
}
