import ConsultCore
import ConsultImport
import Foundation
import Postgres

/// What an import did.
public struct ImportReport: Sendable, Equatable, Encodable {
  /// Records read from the source.
  public let rowsRead: Int
  /// Records that are not submissions (a regulations.gov document type other than
  /// `PUBLIC SUBMISSIONS`, e.g. the rule document) or have no text; not imported.
  public let skipped: [String]
  /// Contributions added now.
  public let added: Int
  /// Records whose source id was already imported with the same text: nothing added.
  public let alreadyPresent: Int
  /// Source ids already imported whose text differs now; left unchanged (reported, not updated).
  public let changed: [String]
  /// Organisation stakeholders created now.
  public let organisationsAdded: Int
  /// Person stakeholders created now.
  public let personsAdded: Int
  /// Records rejected by the source's moderation: imported, counted, never published.
  public let rejectedByModeration: Int
  /// Invalid records passed over (only when the import was asked to skip them); each was handed
  /// to the caller's `invalid` handler with its line, column and reason.
  public var invalid: Int = 0
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
  /// - Returns: What was read and added.
  /// - Throws: ``ImportError`` for a malformed file; ``StoreError``.
  public func importSubmissions(
    _ source: any SubmissionSource, into consultationSlug: String, language: String? = nil, actor: String,
    invalid: ((ImportError) throws -> Void)? = nil
  ) throws -> ImportReport {
    let format = source.format
    let fileName = source.mainFile.lastPathComponent
    let language = language ?? (format == "regulations-gov" ? "en" : nil)
    var invalidCount = 0
    return try transaction("import of \(fileName)") {
      let consultation = try consultation(consultationSlug)
      let initial = try initialState(.contribution, in: consultation)
      try connection.execute(
        """
        CREATE TEMPORARY TABLE import_staging (
          line integer, source_id text, text text, title text, document_type text, first_name text,
          last_name text, organisation text, posted_at timestamptz, received_at timestamptz,
          author_key text, author_name text, rejected boolean, language text
        ) ON COMMIT DROP
        """)
      let read = try connection.copyFrom(
        """
        COPY import_staging (line, source_id, text, title, document_type, first_name, last_name, organisation,
                             posted_at, received_at, author_key, author_name, rejected, language) FROM STDIN
        """
      ) { writer in
        let handler: (ImportError) throws -> Void =
          invalid.map { report in
            { error in
              invalidCount += 1
              try report(error)
            }
          } ?? { throw $0 }
        try source.read(invalid: handler) { record in
          try writer.writeRow([
            String(record.line), record.sourceID, record.text, record.title, record.documentType,
            record.firstName, record.lastName, record.organisation,
            record.postedAt.map { PostgresTimestamp($0).postgresText },
            record.receivedAt.map { PostgresTimestamp($0).postgresText }, record.authorKey, record.authorName,
            record.rejectedByModeration ? "t" : "f", record.language,
          ])
        }
      }
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
                                     attribution, source, source_id, title, received_at, posted_at, state)
          SELECT $1, 'written-submission', s.text, coalesce(s.language, $8), p.id, o.id,
                 CASE WHEN s.rejected THEN 'not-for-publication' ELSE 'organisation' END, $2, s.source_id, s.title,
                 coalesce(s.received_at, s.posted_at, now()), s.posted_at, $3
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
          consultation.workflowVersion, language,
        ])
      let addedIDs: Int = try addedRows.rows[0].decode("added")
      let rejected: Int = try connection.query(
        "SELECT count(*) AS n FROM import_staging WHERE rejected"
      ).rows[0].decode("n")
      try connection.execute(
        """
        INSERT INTO imports (consultation_id, format, file_name, rows_read, rows_added, actor)
        VALUES ($1, $2, $3, $4, $5, $6)
        """, [consultation.id, format, fileName, read, addedIDs, actor])
      let eligible = read - skipped.count
      var report = ImportReport(
        rowsRead: read, skipped: skipped, added: addedIDs, alreadyPresent: eligible - addedIDs, changed: changed,
        organisationsAdded: organisationsAdded, personsAdded: personsAdded, rejectedByModeration: rejected)
      report.invalid = invalidCount
      return report
    }
  }

  /// Imports a regulations.gov docket export; see ``importSubmissions(_:into:language:actor:)``.
  public func importRegulationsGov(_ source: RegulationsGovSource, into consultationSlug: String, actor: String)
    throws -> ImportReport
  {
    try importSubmissions(source, into: consultationSlug, actor: actor)
  }
}
