-- 0035_drafts: drafting the paper (issue 12). A consultation's output document (one draft per
-- consultation) in Markdown, its numbered and immutable revisions, the comments made on them
-- (anchored to a section and a quoted passage) and the sign-off of revisions by the approvers the
-- workflow file names. The draft and each comment move through the workflow's `draft` and
-- `comment` machines; every change is an event in the hash-chained log (0012).
--
-- Content hashes (same canonical field form as 0012: length-prefixed fields):
--   consult_draft_revision_content(draft, revision, title, body)
--     = SHA-256('consult-draft-revision-1;' fields), pinned by the draft's creation event
--       (revision 1) and by each 'revise-draft' event (revision N), and approved by
--       'approve-revision' events (their data's revision_hash);
--   consult_draft_comment_content(draft, revision, section, exact, prefix, suffix, stakeholder,
--     consent, type, text, proposed change)
--     = SHA-256('consult-draft-comment-1;' fields), pinned by the comment's creation event.
-- A comment's decisions (its machine's transitions) carry the drafting team's response and the
-- revision that carries the change in the event's data, which the event hash covers.

CREATE TABLE drafts (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consultation_id bigint NOT NULL UNIQUE REFERENCES consultations (id),
  title           text NOT NULL CHECK (title <> ''),
  revision        integer NOT NULL DEFAULT 1 CHECK (revision >= 1),   -- the latest revision
  state           text NOT NULL,
  version         integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- Every revision, kept as written; never changed (append-only).
CREATE TABLE draft_revisions (
  draft_id    bigint NOT NULL REFERENCES drafts (id),
  revision    integer NOT NULL CHECK (revision >= 1),
  title       text NOT NULL CHECK (title <> ''),
  body        text NOT NULL,             -- pinned by the draft's creation event (revision 1) or
                                         -- the 'revise-draft' event whose data names the revision
  PRIMARY KEY (draft_id, revision)
);

CREATE TABLE draft_comments (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consultation_id bigint NOT NULL REFERENCES consultations (id),
  draft_id        bigint NOT NULL REFERENCES drafts (id),
  revision        integer NOT NULL,       -- the revision commented on
  section         text NOT NULL,          -- its anchor in that revision
  quote_exact     text,                   -- W3C TextQuoteSelector; NULL: the whole section
  quote_prefix    text,
  quote_suffix    text,
  stakeholder_id  bigint NOT NULL REFERENCES stakeholders (id),
  attribution     text NOT NULL DEFAULT 'named'
                  CHECK (attribution IN ('named', 'organisation', 'stakeholder-group', 'not-for-publication')),
  comment_type    text NOT NULL CHECK (comment_type IN ('general', 'technical', 'editorial')),
  body            text NOT NULL CHECK (body <> ''),
  proposed_change text,
  response        text,                   -- the latest decision's response (read model of the log)
  resolved_in     integer,                -- the revision carrying the change, from the latest decision
  state           text NOT NULL,
  version         integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (draft_id, revision) REFERENCES draft_revisions (draft_id, revision),
  CHECK ((quote_exact IS NULL) = (quote_prefix IS NULL) AND (quote_exact IS NULL) = (quote_suffix IS NULL))
);
CREATE INDEX draft_comments_draft ON draft_comments (draft_id, id);

-- Approvals of a revision's exact content by an approver (a stakeholder); append-only. Only the
-- approvals of the latest revision count: a new revision voids the earlier ones.
CREATE TABLE draft_approvals (
  draft_id       bigint NOT NULL,
  revision       integer NOT NULL,
  stakeholder_id bigint NOT NULL REFERENCES stakeholders (id),
  revision_hash  bytea NOT NULL,
  event_id       bigint NOT NULL,
  PRIMARY KEY (draft_id, revision, stakeholder_id),
  FOREIGN KEY (draft_id, revision) REFERENCES draft_revisions (draft_id, revision)
);

CREATE TRIGGER draft_revisions_append_only BEFORE UPDATE OR DELETE
  ON draft_revisions FOR EACH ROW EXECUTE FUNCTION consult_refuse_change();
CREATE TRIGGER draft_approvals_append_only BEFORE UPDATE OR DELETE
  ON draft_approvals FOR EACH ROW EXECUTE FUNCTION consult_refuse_change();
REVOKE UPDATE, DELETE ON draft_revisions, draft_approvals FROM consult_editor;
REVOKE DELETE ON drafts, draft_comments FROM consult_editor;

CREATE FUNCTION consult_draft_revision_content(draft bigint, revision integer, title text, body text) RETURNS bytea
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sha256(convert_to('consult-draft-revision-1;' || consult_field(draft::text) || consult_field(revision::text)
                           || consult_field(title) || consult_field(body), 'UTF8'))
$$;

CREATE FUNCTION consult_draft_comment_content(
  draft bigint, revision integer, section text, exact text, prefix text, suffix text, stakeholder bigint,
  attribution text, comment_type text, body text, proposed_change text
) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sha256(convert_to('consult-draft-comment-1;' || consult_field(draft::text) || consult_field(revision::text)
                           || consult_field(section) || consult_field(exact) || consult_field(prefix)
                           || consult_field(suffix) || consult_field(stakeholder::text) || consult_field(attribution)
                           || consult_field(comment_type) || consult_field(body) || consult_field(proposed_change),
                           'UTF8'))
$$;
