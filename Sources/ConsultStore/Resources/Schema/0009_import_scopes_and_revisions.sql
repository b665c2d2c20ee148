-- 0009_import_scopes_and_revisions: imported records and persons are scoped to the source they
-- came from, and a re-import can record a changed text as a new revision (issue 9).
--
-- Scopes. `contributions.source` held the format alone ('csv'), so row "1" of any CSV file was
-- "already imported" once any CSV file with a row "1" had been, and imported persons were keyed by
-- the row id alone across every consultation. It now holds the import's scope: the namespace in
-- which the source's ids are unique (`SubmissionSource.scope`): 'regulations-gov' and
-- 'have-your-say' (ids unique system-wide), 'polis:CONVERSATION', 'csv:FILE NAME',
-- 'decidim:FILE NAME'. Imported persons are keyed `CONSULTATION:SCOPE:author:KEY` or
-- `CONSULTATION:SCOPE:record:ID`.
--
-- Earlier CSV and Decidim rows take the scope of the file they came from, read from their
-- creation event ('import FILE NAME'). Earlier Polis rows keep 'polis' (the conversation was not
-- recorded); the import still matches a consultation's legacy 'polis' rows by comment id.
-- Persons imported earlier keep their keys: those merged by a shared row id cannot be told apart
-- again, and new imports never link to them.
UPDATE contributions k
SET source = k.source || ':' || substr(e.reason, length('import ') + 1)
FROM events e
WHERE e.entity_kind = 'contribution' AND e.entity_id = k.id AND e.from_state IS NULL
  AND e.reason LIKE 'import %' AND k.source IN ('csv', 'decidim');

-- Revisions. A contribution's earlier texts, numbered from 1 in the order they were replaced; the
-- current text stays in `contributions.text` (it is revision count + 1). Written only together
-- with a 'revise-text' event on the contribution (same transaction), never changed afterwards.
CREATE TABLE contribution_revisions (
  contribution_id bigint NOT NULL REFERENCES contributions (id),
  revision        integer NOT NULL CHECK (revision >= 1),
  text            text NOT NULL,
  language        text,
  replaced_at     timestamptz NOT NULL DEFAULT now(),
  replaced_by     text NOT NULL,
  reason          text,
  PRIMARY KEY (contribution_id, revision)
);

CREATE FUNCTION contribution_revisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'contribution revisions are append-only (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER contribution_revisions_append_only BEFORE UPDATE OR DELETE ON contribution_revisions
  FOR EACH ROW EXECUTE FUNCTION contribution_revisions_append_only();

-- A finished resumable import remembers the file's modification time, so running it again can
-- say it is finished without reading the file (same path, size and modification time).
ALTER TABLE import_batches ADD COLUMN file_modified_at timestamptz;
