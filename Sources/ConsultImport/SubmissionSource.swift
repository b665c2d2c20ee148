import Foundation

/// A file (or pair of files) of submissions in one external format that can be read as a stream
/// of ``SubmissionRecord``s.
public protocol SubmissionSource: Sendable {
  /// The format's name as the CLI spells it and as stored in `contributions.source`, e.g.
  /// `regulations-gov`, `polis`.
  var format: String { get }
  /// The main file, for messages and the import record.
  var mainFile: URL { get }
  /// Reads and validates every record, calling `body` once per record in file order.
  ///
  /// - Throws: ``ImportError`` naming file, line and column for malformed input; callers treat
  ///   any throw, before or during iteration, as "write nothing".
  func read(_ body: (SubmissionRecord) throws -> Void) throws
}

extension RegulationsGovSource: SubmissionSource {
  /// `regulations-gov`.
  public var format: String { "regulations-gov" }
  /// The docket export CSV.
  public var mainFile: URL { docketFile }
}
