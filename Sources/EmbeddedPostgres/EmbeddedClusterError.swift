/// What went wrong while finding, creating, starting or stopping the embedded cluster.
///
/// Every operation of ``EmbeddedCluster`` throws this one type (typed throws), so a caller
/// can print it as is: ``description`` is the message followed by the captured log, if any.
public struct EmbeddedClusterError: Error, CustomStringConvertible, Sendable {
  /// A sentence for a person: what failed, on which path, and what to do about it.
  public let message: String
  /// The tail of the relevant log, when there is one: the output of the failing tool
  /// (`initdb`, `pg_ctl`, `createdb`, ...) and/or the lines that the server wrote to
  /// `log/server.log` during the failed attempt. `nil` when nothing was captured.
  public let log: String?

  /// Makes an error from a message and, optionally, the log text that explains it.
  ///
  /// - Parameters:
  ///   - message: the sentence shown first.
  ///   - log: captured tool or server output; an empty or blank text is stored as `nil`.
  public init(message: String, log: String? = nil) {
    self.message = message
    if let log, !log.allSatisfy(\.isWhitespace) {
      self.log = log
    } else {
      self.log = nil
    }
  }

  /// The message, then the captured log (if any) on the following lines.
  public var description: String {
    guard let log else { return message }
    let trimmed = log.hasSuffix("\n") ? String(log.dropLast()) : log
    return "\(message)\n\(trimmed)"
  }
}
