import ConsultCore
import ConsultImport
import Foundation
import Postgres

/// How a resumable import commits: in batches, each recorded in `import_batches`.
///
/// A run finds the newest unfinished import (status `running`, e.g. the process was killed, or
/// `failed`) of the same consultation, format and file (its absolute, standardised path), reads
/// the file again from the start, passes over the records up to the recorded last line (parsing
/// is cheap compared with writing) and commits the rest. It checks that the records passed over
/// are the ones committed before: a running 64-bit FNV-1a hash of every committed record's stored
/// fields and line is kept with the import and recomputed. A file changed at or before the last
/// committed record is refused (``StoreError`` `.invalidInput`); a change after it — typically
/// the malformed record that stopped the last run, now fixed — is fine. Without an unfinished
/// import the run starts a new one; re-importing a file after a finished import adds nothing, as
/// contributions are never added twice (source id per consultation and format).
public struct ImportBatching: Sendable, Equatable {
  /// Records per batch (each batch is one transaction); at least 1.
  public var batchSize: Int
  /// A batch is also committed once this many seconds have passed since the last commit, so an
  /// import killed again and again still makes progress (issue 10); 5 s by default.
  public var maximumBatchSeconds: Double = 5

  /// The batch size when none is given: 10,000 records.
  public static let defaultBatchSize = 10_000

  /// Creates the setting.
  /// - Parameter batchSize: Records per transaction (at least 1; default 10,000). Memory holds one
  ///   batch of records.
  /// - Precondition: `batchSize >= 1`.
  public init(batchSize: Int = ImportBatching.defaultBatchSize) {
    precondition(batchSize >= 1, "the batch size must be at least 1")
    self.batchSize = batchSize
  }
}

/// Where an import is, reported to the caller's progress callback.
public struct ImportProgress: Sendable, Equatable {
  /// Records read so far, valid and invalid (with `resume`, including those passed over).
  public var rowsRead: Int
  /// The 1-based line where the last record read starts (0 before the first).
  public var line: Int
  /// Bytes of the main file read so far, including the parser's read-ahead (at most 64 KiB);
  /// nil when the source does not count bytes.
  public var bytesRead: Int?
  /// The main file's size in bytes when the import started; nil when it could not be read.
  public var fileSize: Int?
  /// With `resume`: records committed so far, by this run and the runs it continues; 0 without.
  public var rowsCommitted: Int
  /// Whether this is the last report (everything read; sent just before the import returns).
  public var finished: Bool
  /// Whether every record has been read and sent, and the database is now turning them into
  /// stakeholders, contributions and events (one-transaction imports only: the last batch of at
  /// most 10,000 records, the earlier ones written while reading). No further report comes until
  /// ``finished``.
  public var writing = false

  /// The share of the file read, 0…1: ``bytesRead`` ÷ ``fileSize``; nil when either is unknown.
  /// The read-ahead makes it run ahead by at most 64 KiB, which matters only for small files.
  public var fractionRead: Double? {
    guard let bytesRead, let fileSize, fileSize > 0 else { return nil }
    return min(1, Double(bytesRead) / Double(fileSize))
  }
}

/// A malformed record found after a resumable import had committed some batches: those stay
/// committed (the documented trade-off of `--resume`); nothing of the failing batch is written.
public struct PartialImportError: Error, CustomStringConvertible, Sendable {
  /// The malformed record (file, line, column, reason).
  public let error: ImportError
  /// Records committed by the import so far (this run and the runs it continued).
  public let rowsCommitted: Int
  /// The `import_batches` row to continue with `resume`.
  public let importID: Int

  /// `file:line: …: reason; N rows committed; fix the file and run again with --resume`.
  public var description: String {
    "\(error.description); \(Phrasing.counted(rowsCommitted, "row")) committed; fix the file and run again with --resume"
  }
}

/// Collects what the progress callback and the report need; a class so that the `invalid` handler
/// and the read loop can share it.
final class ProgressTracker {
  private let report: ((ImportProgress) -> Void)?
  private var state: ImportProgress
  /// Invalid records passed over.
  private(set) var invalidCount = 0

  /// - Parameters:
  ///   - fileSize: The main file's size in bytes, or nil.
  ///   - report: The caller's callback, or nil.
  init(fileSize: Int?, report: ((ImportProgress) -> Void)?) {
    self.report = report
    state = ImportProgress(
      rowsRead: 0, line: 0, bytesRead: nil, fileSize: fileSize, rowsCommitted: 0, finished: false)
  }

  /// Counts a valid record and reports.
  func read(_ record: SubmissionRecord) {
    state.rowsRead += 1
    state.line = record.line
    if let offset = record.byteOffset { state.bytesRead = offset }
    report?(state)
  }

  /// Counts an invalid record and reports.
  func invalid(_ error: ImportError) {
    invalidCount += 1
    state.rowsRead += 1
    if let line = error.line { state.line = max(state.line, line) }
    report?(state)
  }

  /// Reports that reading is done and the database is writing (see ``ImportProgress/writing``).
  func writingStarted() {
    state.writing = true
    if let size = state.fileSize, state.bytesRead != nil { state.bytesRead = size }
    report?(state)
  }

  /// Records how many records are committed (resumable imports).
  func committed(_ rows: Int) {
    state.rowsCommitted = rows
  }

  /// Sends the final report.
  func finish() {
    state.finished = true
    if let size = state.fileSize, state.bytesRead != nil { state.bytesRead = size }
    report?(state)
  }
}

/// A running 64-bit FNV-1a hash over records' stored fields, to recognise on resume the records
/// a previous run committed. Each field is hashed as its UTF-8 length (8 bytes, `UInt64.max` for
/// nil) followed by its bytes, so different field lists never hash the same input.
struct CommittedRecordsHash: Equatable {
  /// The FNV-1a state (offset basis 0xcbf29ce484222325).
  private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

  /// Adds one record's fields.
  mutating func add(_ fields: [String?]) {
    for field in fields {
      guard let field else {
        mix(length: .max)
        continue
      }
      var utf8 = field.utf8
      mix(length: UInt64(utf8.count))
      if utf8.withContiguousStorageIfAvailable({ mix($0) }) == nil {
        utf8 = field.utf8
        for byte in utf8 { mix(byte) }
      }
    }
  }

  private mutating func mix(length: UInt64) {
    for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
  }

  private mutating func mix(_ bytes: UnsafeBufferPointer<UInt8>) {
    var state = value
    for byte in bytes { state = (state ^ UInt64(byte)) &* 0x100_0000_01b3 }
    value = state
  }

  private mutating func mix(_ byte: UInt8) {
    value = (value ^ UInt64(byte)) &* 0x100_0000_01b3
  }
}

extension ConsultStore {
  /// An unfinished resumable import found in `import_batches`.
  private struct UnfinishedImport {
    var id: Int
    var lastLine: Int
    var rowsCommitted: Int
    var digest: UInt64
    var status: String
  }

  /// The batched path of ``importSubmissions(_:into:language:actor:invalid:resume:progress:)``.
  ///
  /// - Parameters:
  ///   - options: The scope's name and whether changed texts are updated.
  ///   - invalid: The handler for record-level errors (it throws when they are not skipped).
  ///   - batchSize: Records per transaction.
  ///   - maximumBatchSeconds: A batch is committed once this long has passed since the last commit.
  ///   - tracker: Progress and the invalid-record count.
  func importInBatches(
    _ source: any SubmissionSource, into consultationSlug: String, language: String?, actor: String,
    options: StagingOptions, invalid: (ImportError) throws -> Void, batchSize: Int,
    maximumBatchSeconds: Double = 5, tracker: ProgressTracker
  ) throws -> ImportReport {
    let format = source.format
    let fileName = source.mainFile.lastPathComponent
    let filePath = source.mainFile.standardizedFileURL.path
    let fileSize = Self.fileSize(source.mainFile) ?? 0
    let language = language ?? (format == "regulations-gov" ? "en" : nil)

    // The consultation, and the import to continue (marked running again), if any.
    let fileModified = Self.modificationDate(source.mainFile)
    let (consultation, initial, scope, unfinished, finished) = try transaction("resuming the import of \(fileName)") {
      () throws -> (Consultation, String, String, UnfinishedImport?, ImportReport?) in
      let consultation = try self.consultation(consultationSlug)
      let initial = try initialState(.contribution, in: consultation)
      let scope = try importScope(source, options: options, consultation: consultation)
      // The newest run of this import finished, and the file is as it was then (same size and
      // modification time): nothing to read.
      if let fileModified,
        let done = try connection.query(
          """
          SELECT id, rows_committed, rows_added, batches FROM import_batches
          WHERE consultation_id = $1 AND format = $2 AND file_path = $3
          ORDER BY id DESC LIMIT 1
          """, [consultation.id, format, filePath]
        ).rows.first,
        try connection.query(
          """
          SELECT 1 FROM import_batches
          WHERE id = $1 AND status = 'finished' AND file_size = $2 AND file_modified_at = $3
          """, [try done.decode("id", as: Int.self), fileSize, PostgresTimestamp(fileModified)]
        ).rows.first != nil
      {
        var report = ImportReport(
          rowsRead: 0, skipped: [], added: 0, unchanged: 0, changed: [], organisationsAdded: 0, personsAdded: 0,
          rejectedByModeration: 0)
        report.importID = try done.decode("id")
        report.finishedEarlier = true
        report.committedEarlier = try done.decode("rows_committed")
        return (consultation, initial, scope, nil, report)
      }
      let found = try connection.query(
        """
        SELECT id, last_line, rows_committed, records_digest, status FROM import_batches
        WHERE consultation_id = $1 AND format = $2 AND file_path = $3 AND status <> 'finished'
        ORDER BY id DESC LIMIT 1 FOR UPDATE
        """, [consultation.id, format, filePath]
      ).rows.first.map { row throws -> UnfinishedImport in
        UnfinishedImport(
          id: try row.decode("id"), lastLine: try row.decode("last_line"),
          rowsCommitted: try row.decode("rows_committed"),
          digest: UInt64(bitPattern: try row.decode("records_digest", as: Int64.self)),
          status: try row.decode("status"))
      }
      if let found {
        try connection.execute(
          """
          UPDATE import_batches SET status = 'running', file_size = $2, batch_size = $3, updated_at = now()
          WHERE id = $1
          """, [found.id, fileSize, batchSize])
      }
      return (consultation, initial, scope, found, nil)
    }
    if let finished {
      tracker.finish()
      return finished
    }

    var importID = unfinished?.id
    var lastLine = unfinished?.lastLine ?? 0
    var rowsCommitted = unfinished?.rowsCommitted ?? 0
    tracker.committed(rowsCommitted)
    var digest = CommittedRecordsHash()
    var verified = unfinished == nil
    var committedEarlier = 0
    var report = ImportReport(
      rowsRead: 0, skipped: [], added: 0, unchanged: 0, changed: [], organisationsAdded: 0, personsAdded: 0,
      rejectedByModeration: 0)
    var batch: [[String?]] = []
    batch.reserveCapacity(batchSize)
    var batchLastLine = lastLine
    var lastCommit = Date()

    func verifyPassedOver() throws {
      guard !verified, let unfinished else { return }
      verified = true
      if digest.value != unfinished.digest {
        throw StoreError(
          .invalidInput,
          "\(source.mainFile.path) changed at or before line \(unfinished.lastLine) since import #\(unfinished.id) "
            + "committed \(unfinished.rowsCommitted) records up to that line; resuming would skip records that "
            + "were not imported as they are now. Import it without --resume (records already imported are "
            + "not added twice)")
      }
    }

    /// Commits the buffered records (if any) with the progress row; `final` also finishes the import.
    func commit(final: Bool) throws {
      if batch.isEmpty && !final { return }
      let staged = try transaction("import of \(fileName), records up to line \(batchLastLine)") {
        () throws -> StagedImport? in
        var staged: StagedImport? = nil
        if !batch.isEmpty {
          try createImportStaging()
          _ = try connection.copyFrom(Self.stagingCopy) { writer in
            for row in batch { try writer.writeRow(row) }
          }
          staged = try applyImportStaging(
            consultation: consultation, initial: initial, format: format, scope: scope, fileName: fileName,
            actor: actor, updateChanged: options.updateChanged, at: options.time)
        }
        if importID == nil {
          importID = try connection.query(
            """
            INSERT INTO import_batches (consultation_id, format, file_path, file_size, batch_size, records_digest, actor_id)
            VALUES ($1, $2, $3, $4, $5, $6, consult_actor($7)) RETURNING id
            """,
            [
              consultation.id, format, filePath, fileSize, batchSize,
              Int64(bitPattern: CommittedRecordsHash().value), actor,
            ]
          ).rows[0].decode("id")
        }
        let updated = try connection.execute(
          """
          UPDATE import_batches
          SET last_line = $3, rows_committed = rows_committed + $4, rows_added = rows_added + $5,
              batches = batches + $6, records_digest = $7, updated_at = now(),
              status = CASE WHEN $8::boolean THEN 'finished' ELSE 'running' END,
              finished_at = CASE WHEN $8::boolean THEN now() END,
              file_modified_at = CASE WHEN $8::boolean THEN $9::timestamptz END
          WHERE id = $1 AND last_line = $2 AND status = 'running'
          """,
          [
            importID, lastLine, batchLastLine, batch.count, staged?.added ?? 0, batch.isEmpty ? 0 : 1,
            Int64(bitPattern: digest.value), final, fileModified.map(PostgresTimestamp.init),
          ])
        if updated != 1 {
          throw StoreError(
            .conflict,
            "another run of import #\(importID ?? 0) of \(fileName) committed records first; this batch was not written"
          )
        }
        if final {
          let totals = try connection.query(
            "SELECT rows_committed, rows_added FROM import_batches WHERE id = $1", [importID]
          ).rows[0]
          try connection.execute(
            """
            INSERT INTO imports (consultation_id, format, file_name, rows_read, rows_added, actor_id)
            VALUES ($1, $2, $3, $4, $5, consult_actor($6))
            """,
            [
              consultation.id, format, fileName, try totals.decode("rows_committed", as: Int.self),
              try totals.decode("rows_added", as: Int.self), actor,
            ])
        }
        return staged
      }
      if let staged {
        report.batches += 1
        report.skipped += staged.skipped
        report.changed += staged.changed
        report.added += staged.added
        report.unchanged +=
          batch.count - staged.skipped.count - staged.added - staged.changed.count - staged.skippedErased - staged.kept
        report.skippedErased += staged.skippedErased
        report.keptErasedOrRedacted += staged.kept
        report.updated = report.updated || (options.updateChanged && !staged.changed.isEmpty)
        report.organisationsAdded += staged.organisationsAdded
        report.personsAdded += staged.personsAdded
        report.rejectedByModeration += staged.rejected
      }
      rowsCommitted += batch.count
      lastLine = batchLastLine
      tracker.committed(rowsCommitted)
      batch.removeAll(keepingCapacity: true)
    }

    do {
      try source.read(invalid: invalid) { record in
        let row = Self.stagingRow(record)
        report.rowsRead += 1
        if let unfinished, record.line <= unfinished.lastLine {
          digest.add(row)
          committedEarlier += 1
        } else {
          try verifyPassedOver()
          digest.add(row)
          batch.append(Self.stagingRow(record, defaultLanguage: language))
          batchLastLine = record.line
          if batch.count >= batchSize || Date().timeIntervalSince(lastCommit) >= maximumBatchSeconds {
            try commit(final: false)
            lastCommit = Date()
          }
        }
        tracker.read(record)
      }
      try verifyPassedOver()
      try commit(final: true)
    } catch {
      if let importID {
        _ = try? connection.execute(
          "UPDATE import_batches SET status = 'failed', updated_at = now() WHERE id = $1 AND status = 'running'",
          [importID])
      }
      if let error = error as? ImportError, let importID, rowsCommitted > 0 {
        throw PartialImportError(error: error, rowsCommitted: rowsCommitted, importID: importID)
      }
      throw error
    }
    report.importID = importID
    report.committedEarlier = committedEarlier
    report.invalid = tracker.invalidCount
    tracker.finish()
    return report
  }
}
