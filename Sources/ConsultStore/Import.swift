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
  public internal(set) var unchanged: Int
  /// Source ids already imported whose text differs now, in file order: left as they were,
  /// unless ``updated``.
  public internal(set) var changed: [String]
  /// Whether the ``changed`` records' new texts were recorded (each a `revise-text` event, the
  /// previous text kept as a numbered revision), as `--update-changed` asks.
  public internal(set) var updated: Bool = false
  /// Records of a person or organisation erased earlier (their one-way import key kept by the
  /// erasure, migration 0050) that were not in the record: skipped, nothing of them stored.
  public internal(set) var skippedErased: Int = 0
  /// Records imported before whose text differs from the source's only as far as consult knows
  /// because consult changed it (an erasure or a redaction logged on the contribution): neither
  /// listed in ``changed`` nor written over by `--update-changed`.
  public internal(set) var keptErasedOrRedacted: Int = 0
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
  /// With `resume`: the newest run of this import had finished and the file has the same size and
  /// modification time as then, so it was not read again; ``importID`` names that run and
  /// ``committedEarlier`` its records.
  public var finishedEarlier: Bool = false
}

extension ConsultStore {
  /// Imports a file of submissions as written submissions of a consultation.
  ///
  /// All or nothing: the records go through COPY FROM STDIN into a
  /// temporary table 10,000 (or 16 MB) at a time (``stagingBatchSize``), each batch then
  /// becoming stakeholders, contributions and one event-log entry for the batch (an `import` event of
  /// entity kind `contribution-batch` that creates them all, migration 0040), all in one
  /// transaction. Any error in the file (reported with
  /// file, line and column by the ``SubmissionSource``) rolls everything
  /// back. Idempotent: a record whose source id was imported into the
  /// consultation from the same scope (``SubmissionSource/scope``) before adds
  /// nothing; one whose text changed since is reported in
  /// ``ImportReport/changed`` and left as it was, or with `updateChanged`
  /// given its new text as a logged revision.
  ///
  /// Erasure and redaction hold (migration 0050): a record whose contribution's text consult
  /// changed itself (an `erase-personal-data` or `redact` event on it) is counted in
  /// ``ImportReport/keptErasedOrRedacted``, never in ``ImportReport/changed``, and never written
  /// over; no stakeholder is created for a person or organisation erased earlier, and their
  /// records not yet imported are passed over (``ImportReport/skippedErased``), not handed to
  /// `invalid`.
  ///
  /// Stakeholders: organisations resolve by `consult_match_key` (case,
  /// Unicode form, spacing and trailing punctuation ignored; the display name
  /// drops trailing commas and semicolons). People are never merged by name:
  /// a record with an ``SubmissionRecord/authorKey`` (Polis, Decidim, a
  /// mapped `author-id`) belongs to the person with that key in this
  /// consultation and scope; otherwise each record's submitter is a person of
  /// their own, keyed by the consultation, scope and record id. Imported
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
  ///   - sourceName: Names the system the file comes from when the default scope does not
  ///     (``SubmissionSource/scope``): the scope becomes `FORMAT:NAME`, so files exported from
  ///     one system with stable ids match each other's records and authors. Nil: the default.
  ///   - time: When the records entered the consultation (their creation and revision events'
  ///     time), to record the past; nil: now.
  ///   - updateChanged: Record the new text of records imported before whose text changed (each
  ///     a `revise-text` event; the previous text kept in `contribution_revisions`). False: list
  ///     them in ``ImportReport/changed`` and change nothing.
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
    sourceName: String? = nil, updateChanged: Bool = false, at time: Date? = nil,
    invalid: ((ImportError) throws -> Void)? = nil, resume: ImportBatching? = nil,
    progress: ((ImportProgress) -> Void)? = nil
  ) throws -> ImportReport {
    let options = StagingOptions(sourceName: sourceName, updateChanged: updateChanged, time: time)
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
        source, into: consultationSlug, language: language, actor: actor, options: options,
        invalid: invalidHandler, batchSize: resume.batchSize, maximumBatchSeconds: resume.maximumBatchSeconds,
        tracker: tracker)
    }
    let format = source.format
    let fileName = source.mainFile.lastPathComponent
    let language = language ?? (format == "regulations-gov" ? "en" : nil)
    return try transaction("import of \(fileName)") {
      let consultation = try consultation(consultationSlug)
      let initial = try initialState(.contribution, in: consultation)
      let scope = try importScope(source, options: options, consultation: consultation)
      // The records go to the server in batches of `stagingBatchSize`, each staged and applied in
      // this one transaction (PostgreSQL docs §14.4, "Populating a Database": the work is done once
      // per batch; a batch's staging table stays within the session's temporary buffers).
      var read = 0
      var total = StagedImport(skipped: [], changed: [], added: 0, organisationsAdded: 0, personsAdded: 0, rejected: 0)
      var batch: [[String?]] = []
      var batchBytes = 0
      var analysedAt = 10_000
      batch.reserveCapacity(Self.stagingBatchSize)
      func apply() throws {
        guard !batch.isEmpty else { return }
        try createImportStaging()
        _ = try connection.copyFrom(Self.stagingCopy) { writer in
          for row in batch { try writer.writeRow(row) }
        }
        let staged = try applyImportStaging(
          consultation: consultation, initial: initial, format: format, scope: scope, fileName: fileName,
          actor: actor, updateChanged: options.updateChanged, at: options.time)
        try connection.execute("DROP TABLE import_staging")
        total.skipped += staged.skipped
        total.changed += staged.changed
        total.skippedErased += staged.skippedErased
        total.kept += staged.kept
        total.added += staged.added
        total.organisationsAdded += staged.organisationsAdded
        total.personsAdded += staged.personsAdded
        total.rejected += staged.rejected
        // Statistics that see this transaction's rows, each time the rows added have doubled
        // (SQL consult_analyze_import_tables, migration 0042).
        if total.added >= analysedAt * 2 {
          try connection.execute("SELECT consult_analyze_import_tables()")
          analysedAt = total.added
        }
        batch.removeAll(keepingCapacity: true)
        batchBytes = 0
      }
      try source.read(invalid: invalidHandler) { record in
        let row = Self.stagingRow(record, defaultLanguage: language)
        batch.append(row)
        batchBytes += row.reduce(0) { $0 + ($1?.utf8.count ?? 0) }
        read += 1
        tracker.read(record)
        if batch.count >= Self.stagingBatchSize || batchBytes >= Self.stagingBatchBytes { try apply() }
      }
      tracker.writingStarted()
      try apply()
      let staged = total
      try connection.execute(
        """
        INSERT INTO imports (consultation_id, format, file_name, rows_read, rows_added, actor_id)
        VALUES ($1, $2, $3, $4, $5, consult_actor($6))
        """, [consultation.id, format, fileName, read, staged.added, actor])
      var report = ImportReport(
        rowsRead: read, skipped: staged.skipped, added: staged.added,
        unchanged: read - staged.skipped.count - staged.added - staged.changed.count - staged.skippedErased
          - staged.kept,
        changed: staged.changed, updated: options.updateChanged && !staged.changed.isEmpty,
        skippedErased: staged.skippedErased, keptErasedOrRedacted: staged.kept,
        organisationsAdded: staged.organisationsAdded, personsAdded: staged.personsAdded,
        rejectedByModeration: staged.rejected)
      report.invalid = tracker.invalidCount
      tracker.finish()
      return report
    }
  }

  /// Records per batch of an all-or-nothing import (each staged and applied in the import's one
  /// transaction): as many as a resumable import commits at a time by default.
  static let stagingBatchSize = 10_000
  /// The most bytes of field values a batch holds before it is applied (memory stays flat, also
  /// with long texts).
  static let stagingBatchBytes = 16_000_000

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

  /// The file's modification time, or nil when it cannot be read.
  static func modificationDate(_ url: URL) -> Date? {
    try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date
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
        -- Computed by the server as each row arrives (migration 0008); copied into `contributions`
        -- as they are. (Computing them once per distinct text of a batch instead bought nothing on
        -- the FCC-shaped docket, whose copies differ in case, spacing or punctuation: 64% of its
        -- texts are distinct, and a join on the texts misled the planner; issue 13.)
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
    /// Contributions added (logged together by one batch event, migration 0040).
    var added: Int
    /// Organisation stakeholders created.
    var organisationsAdded: Int
    /// Person stakeholders created.
    var personsAdded: Int
    /// Staged records rejected by the source's moderation.
    var rejected: Int
    /// Staged records of a person or organisation erased earlier, not in the record: skipped.
    var skippedErased: Int = 0
    /// Staged records whose text differs from their contribution's because consult changed it
    /// (an erasure or a redaction): not changed, left as they are.
    var kept: Int = 0
  }

  /// What an import was asked beyond its records: the scope's name and whether to update changed texts.
  struct StagingOptions {
    /// `--source NAME`: the scope becomes `FORMAT:NAME`.
    var sourceName: String?
    /// `--update-changed`.
    var updateChanged: Bool
    /// `--at`: when the records were received into the consultation (their batches' events); nil: now.
    var time: Date? = nil
  }

  /// The scope an import's records and persons are matched in: `FORMAT:NAME` when named, else the
  /// source's own (``SubmissionSource/scope``), except that a consultation holding Polis rows
  /// imported before scopes existed (source `polis`, migration 0009) keeps matching those.
  func importScope(_ source: any SubmissionSource, options: StagingOptions, consultation: Consultation) throws
    -> String
  {
    if let name = options.sourceName { return source.format + ":" + name }
    if source.format == "polis",
      try connection.query(
        "SELECT 1 FROM contributions WHERE consultation_id = $1 AND source = 'polis' LIMIT 1", [consultation.id]
      ).rows.first != nil
    {
      return "polis"
    }
    return source.scope
  }

  /// Turns the filled `import_staging` table into stakeholders, contributions and their creation
  /// events, inside the caller's transaction; see ``importSubmissions(_:into:language:actor:invalid:resume:progress:)``.
  ///
  /// - Parameters:
  ///   - consultation: The consultation imported into.
  ///   - initial: The contributions' initial state in its workflow.
  ///   - format: The source's format (stakeholders' `source`).
  ///   - scope: The import's scope (`contributions.source`, part of the persons' keys), see
  ///     ``importScope(_:options:consultation:)``.
  ///   - fileName: The file's name, for the events' reason.
  ///   - actor: Who imported.
  ///   - updateChanged: Give changed records their new text as a revision (see
  ///     ``importSubmissions(_:into:language:actor:sourceName:updateChanged:invalid:resume:progress:)``).
  /// - Returns: What was added, skipped and found changed.
  /// - Throws: ``Postgres/PostgresError`` (translated by the caller's transaction).
  func applyImportStaging(
    consultation: Consultation, initial: String, format: String, scope: String, fileName: String, actor: String,
    updateChanged: Bool, at time: Date? = nil
  ) throws -> StagedImport {
    // The person key: per author, else per record, always within this consultation and scope.
    try connection.execute(
      """
      ALTER TABLE import_staging ADD COLUMN person_key text;
      """)
    try connection.execute(
      """
      UPDATE import_staging
      SET person_key = $1 || ':' || $2 || CASE WHEN author_key IS NOT NULL THEN ':author:' || author_key
                                               ELSE ':record:' || source_id END
      """, [String(consultation.id), scope])
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
    // Records of a person or organisation erased earlier (their one-way keys, migration 0050) that
    // are not in the record: never stored again. Those in the record stay as they are (below).
    // (No keys kept: the first, uncorrelated test is made once and no row's key is computed.)
    let skippedErased = try connection.execute(
      """
      DELETE FROM import_staging s
      WHERE EXISTS (SELECT 1 FROM erased_import_keys)
        AND EXISTS (SELECT 1 FROM erased_import_keys e
                    WHERE e.key_hash = consult_erased_key('person', consult_field($3) || consult_field(s.person_key))
                       OR e.key_hash = consult_erased_key('organisation', consult_match_key(s.organisation)))
        AND NOT EXISTS (SELECT 1 FROM contributions k
                        WHERE k.consultation_id = $1 AND k.source = $2 AND k.source_id = s.source_id)
      """, [consultation.id, scope, format])
    // A text consult changed itself (an erasure or a redaction logged on it) differs from the
    // source's for that reason: kept as it is, never "changed at the source".
    let differing = try connection.query(
      """
      SELECT s.source_id, EXISTS (SELECT 1 FROM events e WHERE e.entity_kind = 'contribution' AND e.entity_id = k.id
                                                           AND e.event IN ($3, $4)) AS kept
      FROM import_staging s JOIN contributions k
        ON k.consultation_id = $1 AND k.source = $2 AND k.source_id = s.source_id
      WHERE k.text <> s.text ORDER BY s.line
      """, [consultation.id, scope, RecordEvent.personalDataErased, RecordEvent.redacted]
    ).map { (try $0.decode("source_id", as: String.self), try $0.decode("kept", as: Bool.self)) }
    let changed = differing.filter { !$0.1 }.map(\.0)
    if updateChanged && !changed.isEmpty {
      // Each changed text: the previous one kept as the next revision, the new one stored, and a
      // record event logged pinning both (content_hash: the new text; data: the revision kept and
      // its hash, SQL consult_contribution_revision_content, migration 0020), in one statement (data-modifying CTEs, PostgreSQL docs §7.8.4).
      try connection.execute(
        """
        WITH who AS (SELECT consult_actor($3) AS id), changed AS (
          SELECT k.id, k.text AS old_text, k.language AS old_language, k.state, s.text
          FROM import_staging s JOIN contributions k
            ON k.consultation_id = $1 AND k.source = $2 AND k.source_id = s.source_id
          WHERE k.text <> s.text
            AND NOT EXISTS (SELECT 1 FROM events e WHERE e.entity_kind = 'contribution' AND e.entity_id = k.id
                                                     AND e.event IN ($9, $10))
          FOR UPDATE OF k
        ), kept AS (
          INSERT INTO contribution_revisions (contribution_id, revision, text, language, replaced_by_id, reason)
          SELECT c.id, coalesce((SELECT max(r.revision) FROM contribution_revisions r WHERE r.contribution_id = c.id), 0) + 1,
                 c.old_text, c.old_language, who.id, $4
          FROM changed c, who
          RETURNING contribution_id, revision,
                    consult_contribution_revision_content(contribution_id, revision, text, language, reason) AS pin
        ), updated AS (
          UPDATE contributions k SET text = c.text, version = k.version + 1 FROM changed c WHERE k.id = c.id
          RETURNING k.id, k.state, consult_contribution_content(k.text, k.attribution, k.stakeholder_id) AS content
        )
        INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id, reason,
                            workflow_name, workflow_version, content_hash, occurred_at, data)
        SELECT $1, 'contribution', u.id, $5, u.state, u.state, who.id,
               $4 || '; the previous text is revision ' || kept.revision, $6, $7, u.content,
               coalesce($8::timestamptz, clock_timestamp()),
               jsonb_build_object('revision', kept.revision::text, 'revision_hash', encode(kept.pin, 'hex'))
        FROM updated u JOIN kept ON kept.contribution_id = u.id CROSS JOIN who ORDER BY u.id
        """,
        [
          consultation.id, scope, actor, "import \(fileName): the text changed at the source",
          RecordEvent.textRevised, consultation.workflowName, consultation.workflowVersion,
          time.map(PostgresTimestamp.init), RecordEvent.personalDataErased, RecordEvent.redacted,
        ])
    }
    let organisationsAdded = try connection.execute(
      """
      INSERT INTO stakeholders (kind, name, match_key, source, source_key)
      SELECT DISTINCT ON (consult_match_key(organisation)) 'organisation',
             regexp_replace(btrim(organisation), '[[:space:]]*[,;]+$', ''),
             consult_match_key(organisation), $1, consult_match_key(organisation)
      FROM import_staging s WHERE consult_match_key(organisation) IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM stakeholders o
                        WHERE o.kind = 'organisation' AND o.match_key = consult_match_key(s.organisation))
        AND (NOT EXISTS (SELECT 1 FROM erased_import_keys)
             OR NOT EXISTS (SELECT 1 FROM erased_import_keys e
                            WHERE e.key_hash = consult_erased_key('organisation', consult_match_key(s.organisation))))
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
        AND (NOT EXISTS (SELECT 1 FROM erased_import_keys)
             OR NOT EXISTS (SELECT 1 FROM erased_import_keys e
                            WHERE e.key_hash = consult_erased_key('person', consult_field($1) || consult_field(s.person_key))))
      ORDER BY s.person_key, s.line
      ON CONFLICT (source, source_key) DO NOTHING
      """, [format])
    // Contributions and their batch's one creation event in one statement (a data-modifying CTE,
    // PostgreSQL docs §7.8.4), so every added row is logged exactly once: the 'import' event of a
    // 'contribution-batch' entity pins each row's content through the batch hash (migration 0040).
    let batchID: Int64 = try connection.query("SELECT nextval('contribution_batch_ids') AS b").rows[0].decode("b")
    let addedRows = try connection.query(
      """
      WITH who AS (SELECT consult_actor($4) AS id), added AS (
        INSERT INTO contributions (consultation_id, kind, text, language, stakeholder_id, organisation_id,
                                   attribution, source, source_id, title, received_at, posted_at, state,
                                   fingerprint, search_vector, batch_id, batch_content_hash)
        SELECT $1, 'written-submission', s.text, s.language, p.id, o.id, a.attribution, $8, s.source_id, s.title,
               coalesce(s.received_at, s.posted_at, now()), s.posted_at, $3, s.fingerprint, s.search_vector, $10,
               consult_contribution_content(s.text, a.attribution, p.id)
        FROM import_staging s
        CROSS JOIN LATERAL (SELECT CASE WHEN s.rejected THEN 'not-for-publication' ELSE 'organisation' END
                              AS attribution) a
        LEFT JOIN stakeholders p ON p.source = $2 AND p.source_key = s.person_key AND p.kind = 'person'
        LEFT JOIN stakeholders o ON o.kind = 'organisation' AND o.match_key = consult_match_key(s.organisation)
        WHERE NOT EXISTS (SELECT 1 FROM contributions k
                          WHERE k.consultation_id = $1 AND k.source = $8 AND k.source_id = s.source_id)
        ORDER BY s.line
        ON CONFLICT (consultation_id, source, source_id) DO NOTHING
        RETURNING id, batch_content_hash
      ), batch AS (
        SELECT count(*) AS n, array_agg(id) AS ids, array_agg(batch_content_hash) AS pins FROM added
      ), logged AS (
        INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id, reason,
                            workflow_name, workflow_version, content_hash, occurred_at, data)
        SELECT $1, 'contribution-batch', $10, 'import', NULL, $3, who.id, 'import ' || $5, $6, $7,
               consult_contribution_batch_content(batch.ids, batch.pins), coalesce($9::timestamptz, clock_timestamp()),
               jsonb_build_object('rows', batch.n, 'contributions', consult_id_runs(batch.ids))
        FROM batch CROSS JOIN who WHERE batch.n > 0
        RETURNING 1
      )
      SELECT n AS added FROM batch
      """,
      [
        consultation.id, format, initial, actor, fileName, consultation.workflowName,
        consultation.workflowVersion, scope, time.map(PostgresTimestamp.init), batchID,
      ])
    let addedIDs: Int = try addedRows.rows[0].decode("added")
    let rejected: Int = try connection.query(
      "SELECT count(*) AS n FROM import_staging WHERE rejected"
    ).rows[0].decode("n")
    return StagedImport(
      skipped: skipped, changed: changed, added: addedIDs, organisationsAdded: organisationsAdded,
      personsAdded: personsAdded, rejected: rejected, skippedErased: skippedErased,
      kept: differing.count - changed.count)
  }

  /// Imports a regulations.gov docket export; see ``importSubmissions(_:into:language:actor:invalid:resume:progress:)``.
  public func importRegulationsGov(_ source: RegulationsGovSource, into consultationSlug: String, actor: String)
    throws -> ImportReport
  {
    try importSubmissions(source, into: consultationSlug, actor: actor)
  }
}
