import Foundation

/// A file (or pair of files) of submissions in one external format that can be read as a stream
/// of ``SubmissionRecord``s.
public protocol SubmissionSource: Sendable {
  /// The format's name as the CLI spells it and as stored in `contributions.source`, e.g.
  /// `regulations-gov`, `polis`.
  var format: String { get }
  /// The main file, for messages and the import record.
  var mainFile: URL { get }
  /// The namespace in which the source's record ids and author keys are unique, stored as
  /// `contributions.source`: a record is the same record, and an author key the same person, only
  /// within one scope (and one consultation). The format's name where the source system's ids are
  /// unique system-wide (regulations.gov document ids, Have Your Say feedback ids); narrower where
  /// they are not: `polis:CONVERSATION`, `csv:FILE NAME`, `decidim:FILE NAME`.
  var scope: String { get }
  /// Reads and validates every record, calling `body` once per record in file order.
  ///
  /// - Throws: ``ImportError`` naming file, line and column for malformed input; callers treat
  ///   any throw, before or during iteration, as "write nothing".
  func read(_ body: (SubmissionRecord) throws -> Void) throws
  /// Whether ``read(invalid:_:)`` can pass over invalid records (`false`: it throws at the first
  /// one, as ``read(_:)`` does).
  var canSkipInvalidRecords: Bool { get }
  /// Reads every record like ``read(_:)``, but hands each record-level error (one record's
  /// empty text, unparseable date, empty or duplicate id, NUL byte, oversized field, wrong field
  /// count) to `invalid` instead of throwing it, and goes on with the next record. File-level
  /// errors (no header, a missing required column, broken quoting, invalid UTF-8, a read error)
  /// still throw, as does anything `invalid` or `body` throws.
  ///
  /// - Parameters:
  ///   - invalid: called once per invalid record, in file order, with its file, line, column
  ///     and reason.
  ///   - body: called once per valid record, in file order.
  func read(invalid: (ImportError) throws -> Void, _ body: (SubmissionRecord) throws -> Void) throws
}

extension SubmissionSource {
  /// `false`: the source has no record-level recovery and throws at the first error.
  public var canSkipInvalidRecords: Bool { false }

  /// Calls ``read(_:)``: every error throws (sources without record-level recovery).
  public func read(invalid: (ImportError) throws -> Void, _ body: (SubmissionRecord) throws -> Void) throws {
    try read(body)
  }
}

/// A source that recovers from record-level errors: ``read(_:)`` throws the first invalid record's
/// error, ``read(invalid:_:)`` reports each and goes on.
protocol SkippingSubmissionSource: SubmissionSource {}

extension SkippingSubmissionSource {
  /// `true`.
  public var canSkipInvalidRecords: Bool { true }

  /// Reads every record, throwing at the first invalid one.
  public func read(_ body: (SubmissionRecord) throws -> Void) throws {
    try read(invalid: { throw $0 }, body)
  }
}

extension RegulationsGovSource: SkippingSubmissionSource {
  /// `regulations-gov`.
  public var format: String { "regulations-gov" }
  /// The docket export CSV.
  public var mainFile: URL { docketFile }
  /// `regulations-gov`: document ids are unique across regulations.gov.
  public var scope: String { format }
}
