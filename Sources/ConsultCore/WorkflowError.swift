/// One problem found in a workflow file, located like a compiler diagnostic.
public struct WorkflowIssue: Sendable, Hashable, CustomStringConvertible {
  /// The file name given to ``WorkflowDefinition/parse(yaml:file:)``.
  public let file: String
  /// The line, from 1.
  public let line: Int
  /// The column, from 1, counted in Unicode scalars (as YAML parsers count).
  public let column: Int
  /// What is wrong, in one line.
  public let message: String

  /// Creates an issue.
  public init(file: String, line: Int, column: Int, message: String) {
    self.file = file
    self.line = line
    self.column = column
    self.message = message
  }

  /// `file:line:column: error: message`, the form editors and CI logs recognise.
  public var description: String { "\(file):\(line):\(column): error: \(message)" }
}

/// A workflow file that cannot be used, with every problem found in it (not just the first).
public struct WorkflowError: Error, CustomStringConvertible, Sendable {
  /// The problems, ordered by position in the file.
  public let issues: [WorkflowIssue]

  /// Creates an error from issues (kept in the order given).
  public init(issues: [WorkflowIssue]) {
    self.issues = issues
  }

  /// One line per issue: `file:line:column: error: message`.
  public var description: String { issues.map(\.description).joined(separator: "\n") }
}
