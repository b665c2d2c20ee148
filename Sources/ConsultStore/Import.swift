import ConsultCore
import ConsultImport
import Foundation
import Postgres

/// What an import did.
public struct ImportReport: Sendable, Equatable, Encodable {
  /// Valid records read from the source (with `resume`, including ``committedEarlier``).
  public internal(set) var rowsRead: Int
  /// Records that are not submissions (a regulations.gov document type other than
  /// `PUBLIC SUBMISSIONS`, e.g. the rule document) or have no text; not imported.
  public internal(set) var skipped: [String]
  /// Contributions added now.
  public internal(set) var added: Int
  /// Records whose source id was already imported with the same text: nothing added.
  public internal(set) var alreadyPresent: Int
  /// Source ids already imported whose text differs now; left unchanged (reported, not updated).
  public internal(set) var changed: [String]
  /// Organisation stakeholders created now.
  public internal(set) var organisationsAdded: Int
  /// Person stakeholders created now.
  public internal(set) var personsAdded: Int
  /// Records rejected by the source's moderation: imported, counted, never published.
  public internal(set) var rejectedByModeration: Int
  /// Invalid records passed over (only when the import was asked to skip them); each was handed
  /// to the caller's `invalid` handler with its line, column and reason.
  public var invalid: Int = 0
  /// With `resume`: the id of the row in `import_batches` recording this import; nil without.
  public var importID: Int? = nil
  /// With `resume`: records (valid ones, in ``rowsRead``) that an earlier, interrupted run had
  /// committed, read again and passed over; 0 for a fresh import.
  public var committedEarlier: Int = 0
  /// With `resume`: the batches this run committed (the last one may be smaller); 0 without.
  public var batches: Int = 0
}

extension ConsultStore {
  /// Imports a file of submissions as written submissions of a consultation.
  ///
  /// All or nothing: the records stream through COPY FROM STDIN into a
  /// temporary table, then become stakeholders, contributions and event-log
  /// entries in the same transaction. Any error in the file (reported with
  /// file, line and column by the ``SubmissionSource``) rolls everything
  /// back. Idempotent: a record whose source id was imported into the
  /// consultation before adds nothing; one whose text changed since is
  /// reported in ``ImportReport/changed`` and left unchanged.
  ///
  /// Stakeholders: organisations resolve by `consult_match_key` (case,
  /// Unicode form, spacing and trailing punctuation ignored; the display name
  /// drops trailing commas and semicolons). People are never merged by name:
  /// a record with an ``SubmissionRecord/authorKey`` (Polis) belongs to the
  /// person with that key in this consultation; otherwise each record's
  /// submitter is a person of their own, keyed by the source id. Imported
  /// texts are attributed at the `organisation` consent level (a person's
  /// name is never published, an organisation's may be), or
  /// `not-for-publication` when the source's moderation rejected them.
  ///
  /// - Parameters:
  ///   - source: The located file(s).
  ///   - consultationSlug: The consultation.
  ///   - language: Language tag for records that carry none of their own
  ///     (``SubmissionRecord/language``, e.g. Decidim `locale`) (BCP 47,
  ///     e.g. `de`); nil: `en` for regulations.gov, unknown otherwise.
  ///   - actor: Who imported.
  ///   - invalid: When given, invalid records are passed over and each
  ///     record-level error goes here (see
  ///     ``SubmissionSource/read(invalid:_:)``); the rest is imported.
  ///     File-level errors still roll everything back. Nil: the first
  ///     invalid record rolls everything back.
  ///   - resume: Nil (the default): one transaction, all or nothing, as above. Given: the
  ///     records are committed in batches of ``ImportBatching/batchSize`` records, each batch one
  ///     transaction that also records the progress in `import_batches`; a run after one that
  ///     was killed or failed continues after the last committed record (see
  ///     ``ImportBatching``). A malformed record then leaves the earlier batches committed and
  ///     throws ``PartialImportError``.
  ///   - progress: Called after every record read (valid or, with `invalid`, invalid), in file
  ///     order, and once more at the end with ``ImportProgress/finished`` set; on the calling
  ///     thread, while the import waits, so it must be cheap (the CLI keeps the latest value and
  ///     draws it at most four times a second). Nil: no reports.
  /// - Returns: What was read and added.
  /// - Throws: ``ImportError`` for a malformed file (nothing written); ``PartialImportError``
  ///   for a malformed record after committed batches (with `resume` only); ``StoreError``
  ///   (with `resume`: `.invalidInput` when the file changed before the last committed record
  ///   since the interrupted run, `.conflict` when another run of the same import committed a
  ///   batch first).
  public func importSubmissions(
    _ source: any SubmissionSource, into consultationSlug: String, language: String? = nil, actor: String,
    invalid: ((ImportError) throws -> Void)? = nil, resume: ImportBatching? = nil,
    progress: ((ImportProgress) -> Void)? = nil
  ) throws -> ImportReport {
    let tracker = ProgressTracker(fileSize: Self.fileSize(source.mainFile), report: progress)
    let invalidHandler: (ImportError) throws -> Void =
      invalid.map { report in
        { error in
          try report(error)
          tracker.invalid(error)
        }
      } ?? { throw $0 }
    if let resume {
      return try importInBatches(
        source, into: consultationSlug, language: language, actor: actor, invalid: invalidHandler,
        batchSize: resume.batchSize, tracker: tracker)
    }
    let format = source.format
    let fileName = source.mainFile.lastPathComponent
    let language = language ?? (format == "regulations-gov" ? "en" : nil)
    return try transaction("import of \(fileName)") {
      let consultation = try consultation(consultationSlug)
      let initial = try initialState(.contribution, in: consultation)
      try createImportStaging()
      let read = try connection.copyFrom(Self.stagingCopy) { writer in
        try source.read(invalid: invalidHandler) { record in
          try writer.writeRow(Self.stagingRow(record, defaultLanguage: language))
          tracker.read(record)
        }
      }
      tracker.writingStarted()
      let staged = try applyImportStaging(
        consultation: consultation, initial: initial, format: format, fileName: fileName,
        actor: actor)
      try connection.execute(
        """
        INSERT INTO imports (consultation_id, format, file_name, rows_read, rows_added, actor)
        VALUES ($1, $2, $3, $4, $5, $6)
        """, [consultation.id, format, fileName, read, staged.added, actor])
      var report = ImportReport(
        rowsRead: read, skipped: staged.skipped, added: staged.added,
        alreadyPresent: read - staged.skipped.count - staged.added, changed: staged.changed,
        organisationsAdded: staged.organisationsAdded, personsAdded: staged.personsAdded,
        rejectedByModeration: staged.rejected)
      report.invalid = tracker.invalidCount
      tracker.finish()
      return report
    }
  }

  /// The COPY statement that fills `import_staging`, in ``stagingRow(_:)``'s column order.
  static let stagingCopy = """
    COPY import_staging (line, source_id, text, title, document_type, first_name, last_name, organisation,
                         posted_at, received_at, author_key, author_name, rejected, language) FROM STDIN
    """

  /// One record as a row of `import_staging`, in ``stagingCopy``'s column order (COPY text values).
  ///
  /// - Parameters:
  ///   - record: The record.
  ///   - defaultLanguage: The language (BCP 47 tag) stored when the record has none of its own; the
  ///     staging table derives each row's search vector from it. Nil: none.
  static func stagingRow(_ record: SubmissionRecord, defaultLanguage: String?) -> [String?] {
    var record = record
    if record.language == nil { record.language = defaultLanguage }
    return stagingRow(record)
  }

  /// One record as a row of `import_staging` exactly as the source gave it (no default language),
  /// in ``stagingCopy``'s column order; what a resumable import's digest covers.
  static func stagingRow(_ record: SubmissionRecord) -> [String?] {
    [
      String(record.line), record.sourceID, record.text, record.title, record.documentType,
      record.firstName, record.lastName, record.organisation,
      record.postedAt.map { PostgresTimestamp($0).postgresText },
      record.receivedAt.map { PostgresTimestamp($0).postgresText }, record.authorKey, record.authorName,
      record.rejectedByModeration ? "t" : "f", record.language,
    ]
  }

  /// The size of `url` in bytes, or nil when it cannot be read (progress then has no estimate).
  static func fileSize(_ url: URL) -> Int? {
    (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue
  }

  /// Creates the transaction's `import_staging` table (dropped at commit or rollback); its
  /// `fingerprint` and `search_vector` columns are generated by the server while the rows stream
  /// in, so a record's `language` must already hold the import's default (see
  /// ``stagingRow(_:defaultLanguage:)``).
  func createImportStaging() throws {
    try connection.execute(
      """
      CREATE TEMPORARY TABLE import_staging (
        line integer, source_id text, text text, title text, document_type text, first_name text,
        last_name text, organisation text, posted_at timestamptz, received_at timestamptz,
        author_key text, author_name text, rejected boolean, language text,
        -- Computed by the server as each row arrives, while the client parses the next ones
        -- (migration 0008); copied into `contributions` as they are.
        fingerprint text GENERATED ALWAYS AS (consult_text_fingerprint(text)) STORED,
        search_vector tsvector GENERATED ALWAYS AS (to_tsvector(consult_text_search_config(language), text)) STORED
      ) ON COMMIT DROP
      """)
  }

  /// What ``applyImportStaging(consultation:initial:format:fileName:actor:)`` did.
  struct StagedImport {
    /// Source ids of staged records that are not submissions or have no text, in line order.
    var skipped: [String]
    /// Source ids imported before whose text differs now, in line order.
    var changed: [String]
    /// Contributions (and creation events) added.
    var added: Int
    /// Organisation stakeholders created.
    var organisationsAdded: Int
    /// Person stakeholders created.
    var personsAdded: Int
    /// Staged records rejected by the source's moderation.
    var rejected: Int
  }

  /// Turns the filled `import_staging` table into stakeholders, contributions and their creation
  /// events, inside the caller's transaction; see ``importSubmissions(_:into:language:actor:invalid:resume:progress:)``.
  ///
  /// - Parameters:
  ///   - consultation: The consultation imported into.
  ///   - initial: The contributions' initial state in its workflow.
  ///   - format: The source's format (`contributions.source`, stakeholders' `source`).
  ///   - fileName: The file's name, for the events' reason.
  ///   - actor: Who imported.
  /// - Returns: What was added, skipped and found changed.
  /// - Throws: ``Postgres/PostgresError`` (translated by the caller's transaction).
  func applyImportStaging(
    consultation: Consultation, initial: String, format: String, fileName: String, actor: String
  ) throws -> StagedImport {
    // The person key: per author within this consultation, else per record.
    try connection.execute(
      """
      ALTER TABLE import_staging ADD COLUMN person_key text;
      """)
    try connection.execute(
      """
      UPDATE import_staging
      SET person_key = CASE WHEN author_key IS NOT NULL THEN $1 || ':author:' || author_key ELSE source_id END
      """, [String(consultation.id)])
    let skipped = try connection.query(
      """
      SELECT source_id FROM import_staging
      WHERE text IS NULL OR btrim(text) = '' OR document_type <> 'PUBLIC SUBMISSIONS'
      ORDER BY line
      """
    ).map { try $0.decode("source_id", as: String.self) }
    try connection.execute(
      """
      DELETE FROM import_staging
      WHERE text IS NULL OR btrim(text) = '' OR document_type <> 'PUBLIC SUBMISSIONS'
      """)
    let changed = try connection.query(
      """
      SELECT s.source_id FROM import_staging s JOIN contributions k
        ON k.consultation_id = $1 AND k.source = $2 AND k.source_id = s.source_id
      WHERE k.text <> s.text ORDER BY s.line
      """, [consultation.id, format]
    ).map { try $0.decode("source_id", as: String.self) }
    let organisationsAdded = try connection.execute(
      """
      INSERT INTO stakeholders (kind, name, match_key, source, source_key)
      SELECT DISTINCT ON (consult_match_key(organisation)) 'organisation',
             regexp_replace(btrim(organisation), '[[:space:]]*[,;]+$', ''),
             consult_match_key(organisation), $1, consult_match_key(organisation)
      FROM import_staging s WHERE consult_match_key(organisation) IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM stakeholders o
                        WHERE o.kind = 'organisation' AND o.match_key = consult_match_key(s.organisation))
      ORDER BY consult_match_key(organisation), line
      ON CONFLICT (match_key) WHERE kind = 'organisation' AND match_key IS NOT NULL DO NOTHING
      """, [format])
    let personsAdded = try connection.execute(
      """
      INSERT INTO stakeholders (kind, name, stakeholder_group, organisation_id, source, source_key)
      SELECT DISTINCT ON (s.person_key) 'person',
             coalesce(s.author_name, btrim(concat_ws(' ', s.first_name, s.last_name))),
             CASE WHEN o.id IS NULL THEN 'public' END, o.id, $1, s.person_key
      FROM import_staging s
      LEFT JOIN stakeholders o ON o.kind = 'organisation' AND o.match_key = consult_match_key(s.organisation)
      WHERE coalesce(s.author_name, s.first_name, s.last_name) IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM stakeholders p WHERE p.source = $1 AND p.source_key = s.person_key)
      ORDER BY s.person_key, s.line
      ON CONFLICT (source, source_key) DO NOTHING
      """, [format])
    // Contributions and their creation events in one statement (a data-modifying
    // CTE, PostgreSQL docs §7.8.4), so every added row is logged exactly once.
    let addedRows = try connection.query(
      """
      WITH added AS (
        INSERT INTO contributions (consultation_id, kind, text, language, stakeholder_id, organisation_id,
                                   attribution, source, source_id, title, received_at, posted_at, state,
                                   fingerprint, search_vector)
        SELECT $1, 'written-submission', s.text, s.language, p.id, o.id,
               CASE WHEN s.rejected THEN 'not-for-publication' ELSE 'organisation' END, $2, s.source_id, s.title,
               coalesce(s.received_at, s.posted_at, now()), s.posted_at, $3, s.fingerprint, s.search_vector
        FROM import_staging s
        LEFT JOIN stakeholders p ON p.source = $2 AND p.source_key = s.person_key AND p.kind = 'person'
        LEFT JOIN stakeholders o ON o.kind = 'organisation' AND o.match_key = consult_match_key(s.organisation)
        WHERE NOT EXISTS (SELECT 1 FROM contributions k
                          WHERE k.consultation_id = $1 AND k.source = $2 AND k.source_id = s.source_id)
        ORDER BY s.line
        ON CONFLICT (consultation_id, source, source_id) DO NOTHING
        RETURNING id, state
      ), logged AS (
        INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor, reason,
                            workflow_name, workflow_version)
        SELECT $1, 'contribution', id, 'create', NULL, state, $4, 'import ' || $5, $6, $7
        FROM added ORDER BY id
        RETURNING 1
      )
      SELECT count(*) AS added FROM logged
      """,
      [
        consultation.id, format, initial, actor, fileName, consultation.workflowName,
        consultation.workflowVersion,
      ])
    let addedIDs: Int = try addedRows.rows[0].decode("added")
    let rejected: Int = try connection.query(
      "SELECT count(*) AS n FROM import_staging WHERE rejected"
    ).rows[0].decode("n")
    return StagedImport(
      skipped: skipped, changed: changed, added: addedIDs, organisationsAdded: organisationsAdded,
      personsAdded: personsAdded, rejected: rejected)
  }

  /// Imports a regulations.gov docket export; see ``importSubmissions(_:into:language:actor:invalid:resume:progress:)``.
  public func importRegulationsGov(_ source: RegulationsGovSource, into consultationSlug: String, actor: String)
    throws -> ImportReport
  {
    try importSubmissions(source, into: consultationSlug, actor: actor)
  }
}
