-- 0035_drafts: drafting the paper (issue 12). A consultation's output document (one draft per
-- consultation) in Markdown, its numbered and immutable revisions, the comments made on them
-- (anchored to a section and a quoted passage) and the sign-off of revisions by the approvers the
-- workflow file names. The draft and each comment move through the workflow's `draft` and
-- `comment` machines; every change is an event in the hash-chained log (0012).
--
-- Content hashes (same canonical field form as 0012: length-prefixed fields):
--   consult_draft_revision_content(draft, revision, title, body)
--     = SHA-256('consult-draft-revision-1;' fields), pinned by the draft's creation event
--       (revision 1) and by each 'revise-draft' event (revision N), pinned anew by an erasure's
--       'erase-personal-data' event (data: revision N) when it rewrites the revision, and approved
--       by 'approve-revision' events (their data's revision_hash);
--   consult_draft_comment_content(draft, revision, section, exact, prefix, suffix, stakeholder,
--     consent, type, text, proposed change)
--     = SHA-256('consult-draft-comment-1;' fields), pinned by the comment's creation event (or,
--     after an erasure rewrote the comment, by its 'erase-personal-data' event: the latest wins).
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

-- Erasure (GDPR Art. 17) in the drafting tables: called by consult_forget_stakeholder (migration
-- 0020, which refers to it by name; PL/pgSQL resolves it when called) with the person's
-- identifying-string patterns, their pseudonym, the erasing actor and the redacted reason. Only
-- inside that function (consult_erasing(), 0020) does it run.
--   * Every revision whose title or text names the person is rewritten (the pseudonym for each
--     string), and an 'erase-personal-data' event on the draft pins the rewritten revision
--     (data: revision; content_hash = consult_draft_revision_content), so `log verify`, which
--     checks each revision against the latest event naming it, passes. The draft's title follows.
--     Approvals keep the hash of the revision they approved (their event's data pins it).
--   * Every comment by the person, or naming them in its text, proposed change, response or quote,
--     is rewritten; the person's own comments (and their organisation's members' comments attributed
--     to it, when the person is an organisation) are reattributed like contributions: 'named' and
--     'organisation' become 'stakeholder-group', withheld ones stay withheld. An
--     'erase-personal-data' event on the comment pins its new content
--     (consult_draft_comment_content; data: attribution_from, attribution_to). The response
--     equals the rewritten data of the decision event that carried it (0020 rewrites events).
-- Returns {revisions, comments, consultations: [ids]}.
CREATE FUNCTION consult_forget_in_drafts(
  p_stakeholder bigint, p_kind text, patterns text[], pseudonym text, who bigint, clean_reason text
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  rr record;
  rk record;
  new_title text;
  new_body text;
  new_attribution text;
  n_revisions integer := 0;
  n_comments integer := 0;
  touched bigint[] := '{}';
BEGIN
  IF NOT consult_erasing() THEN
    RAISE EXCEPTION 'drafts are erased only by consult_forget_stakeholder' USING ERRCODE = 'insufficient_privilege';
  END IF;
  FOR rr IN
    SELECT r.*, d.consultation_id, d.state, cs.workflow_name, cs.workflow_version
    FROM draft_revisions r JOIN drafts d ON d.id = r.draft_id JOIN consultations cs ON cs.id = d.consultation_id
    WHERE EXISTS (SELECT 1 FROM unnest(patterns) q WHERE r.title ~* q OR r.body ~* q)
    ORDER BY r.draft_id, r.revision FOR UPDATE OF d
  LOOP
    new_title := consult_redact_text(rr.title, patterns, pseudonym);
    new_body := consult_redact_text(rr.body, patterns, pseudonym);
    UPDATE draft_revisions SET title = new_title, body = new_body
    WHERE draft_id = rr.draft_id AND revision = rr.revision;
    INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id, reason,
                        workflow_name, workflow_version, data, content_hash)
    VALUES (rr.consultation_id, 'draft', rr.draft_id, 'erase-personal-data', rr.state, rr.state, who, clean_reason,
            rr.workflow_name, rr.workflow_version,
            jsonb_build_object('pseudonym', pseudonym, 'revision', rr.revision::text),
            consult_draft_revision_content(rr.draft_id, rr.revision, new_title, new_body));
    n_revisions := n_revisions + 1;
    touched := touched || rr.consultation_id;
  END LOOP;
  UPDATE drafts SET title = consult_redact_text(title, patterns, pseudonym), version = version + 1
  WHERE EXISTS (SELECT 1 FROM unnest(patterns) q WHERE title ~* q);

  FOR rk IN
    SELECT k.*, c.organisation_id AS commenter_organisation, cs.workflow_name, cs.workflow_version
    FROM draft_comments k JOIN stakeholders c ON c.id = k.stakeholder_id
    JOIN consultations cs ON cs.id = k.consultation_id
    WHERE k.stakeholder_id = p_stakeholder OR (p_kind = 'organisation' AND c.organisation_id = p_stakeholder)
       OR EXISTS (SELECT 1 FROM unnest(patterns) q
                  WHERE k.body ~* q OR k.proposed_change ~* q OR k.response ~* q OR k.quote_exact ~* q
                     OR k.quote_prefix ~* q OR k.quote_suffix ~* q)
    ORDER BY k.id FOR UPDATE OF k
  LOOP
    new_attribution := CASE
      WHEN rk.attribution IN ('named', 'organisation')
           AND (rk.stakeholder_id = p_stakeholder OR rk.commenter_organisation = p_stakeholder)
        THEN 'stakeholder-group'
      ELSE rk.attribution END;
    UPDATE draft_comments
    SET body = consult_redact_text(body, patterns, pseudonym),
        proposed_change = consult_redact_text(proposed_change, patterns, pseudonym),
        response = consult_redact_text(response, patterns, pseudonym),
        quote_exact = consult_redact_text(quote_exact, patterns, pseudonym),
        quote_prefix = consult_redact_text(quote_prefix, patterns, pseudonym),
        quote_suffix = consult_redact_text(quote_suffix, patterns, pseudonym),
        attribution = new_attribution, version = version + 1
    WHERE id = rk.id;
    INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id, reason,
                        workflow_name, workflow_version, data, content_hash)
    SELECT k.consultation_id, 'comment', k.id, 'erase-personal-data', k.state, k.state, who, clean_reason,
           rk.workflow_name, rk.workflow_version,
           jsonb_build_object('pseudonym', pseudonym, 'attribution_from', rk.attribution,
                              'attribution_to', new_attribution),
           consult_draft_comment_content(k.draft_id, k.revision, k.section, k.quote_exact, k.quote_prefix,
                                         k.quote_suffix, k.stakeholder_id, k.attribution, k.comment_type, k.body,
                                         k.proposed_change)
    FROM draft_comments k WHERE k.id = rk.id;
    n_comments := n_comments + 1;
    touched := touched || rk.consultation_id;
  END LOOP;
  RETURN jsonb_build_object('revisions', n_revisions, 'comments', n_comments, 'consultations', to_jsonb(touched));
END;
$$;
REVOKE EXECUTE ON FUNCTION consult_forget_in_drafts(bigint, text, text[], text, bigint, text) FROM PUBLIC;
