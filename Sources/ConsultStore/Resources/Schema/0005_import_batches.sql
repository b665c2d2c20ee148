-- 0005_import_batches: resumable imports (issue 4, item 2: `consult contributions import --resume`).
--
-- One row per resumable import of one file into one consultation. Each batch of records commits in
-- its own transaction together with the update of this row, so `last_line` and `rows_committed`
-- always describe exactly what is in `contributions`. A resumed run picks the newest unfinished
-- row (status `running` — e.g. the process was killed — or `failed`) of the same consultation,
-- format and file path, passes over the records up to `last_line`, and checks that they are the
-- records it committed before: `records_digest` is a running 64-bit FNV-1a hash of every valid
-- record committed so far (line, source id, text and the other stored fields), recomputed while
-- reading them again. A file changed before `last_line` is refused; a file changed after it (e.g.
-- a malformed record fixed) continues.
--
-- * file_path: the file as an absolute, standardised path; file_size: its size in bytes when the
--   latest run started (informational: fixing a later record may change it).
-- * rows_committed: records written to the staging table in committed batches (all runs);
--   rows_added: contributions those batches added.

CREATE TABLE import_batches (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consultation_id bigint NOT NULL REFERENCES consultations (id),
  format          text NOT NULL,
  file_path       text NOT NULL,
  file_size       bigint NOT NULL CHECK (file_size >= 0),
  batch_size      integer NOT NULL CHECK (batch_size > 0),
  last_line       integer NOT NULL DEFAULT 0 CHECK (last_line >= 0),
  rows_committed  integer NOT NULL DEFAULT 0 CHECK (rows_committed >= 0),
  rows_added      integer NOT NULL DEFAULT 0 CHECK (rows_added >= 0),
  batches         integer NOT NULL DEFAULT 0 CHECK (batches >= 0),
  records_digest  bigint NOT NULL,
  actor           text NOT NULL,
  status          text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'failed')),
  started_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz,
  CHECK ((status = 'finished') = (finished_at IS NOT NULL))
);

CREATE INDEX import_batches_unfinished ON import_batches (consultation_id, format, file_path)
  WHERE status <> 'finished';
