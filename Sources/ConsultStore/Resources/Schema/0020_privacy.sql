-- 0020_privacy: erasure, redaction with reasons and disclosure control (issue 11).
--
-- Erasure (GDPR Art. 17). `consult stakeholder forget` calls consult_forget_stakeholder(), the one
-- sanctioned path that rewrites rows of the append-only tables: a SECURITY DEFINER function owned
-- by consult_owner that only consult_admin may execute. It replaces the person's name by a stable
-- pseudonym ("Participant 17"), drops their contact details, role, handle and source key,
-- reattributes their contributions to their stakeholder group (withheld ones stay withheld),
-- replaces their identifying strings by the pseudonym in contribution texts and titles and their
-- earlier revisions, summaries and their earlier revisions, event reasons and data, reschedule
-- reasons, tag queries and redacted spans, and erases the actor records named. Each rewrite is
-- logged in the same transaction:
--   * a contribution or summary whose text changed gets an 'erase-personal-data' record event
--     whose content_hash pins its new content (consult_contribution_content /
--     consult_summary_content), so `log verify` checks the redacted text as it checked the old;
--     each earlier revision rewritten gets one too (data: revision; for a contribution's, its
--     revision_hash, consult_contribution_revision_content), and so does each rewritten draft
--     revision and draft comment (consult_forget_in_drafts, migration 0035); the contribution's
--     event also pins its rewritten redaction rows (data: redactions);
--   * an event whose reason or data changed keeps its stored hash (the chain still links); a row
--     of event_redactions records its hash before (the chained one) and after (the hash of the
--     redacted row), and the consultation's 'erase-personal-data' event pins those rows
--     (content_hash = consult_event_redactions_content of its id). `log verify` accepts an event
--     whose recomputed hash differs from its stored one only through such a pinned row.
-- The append-only triggers let these rewrites through only inside that function (the setting
-- consult.erasure is on and the current user is consult_owner); consult_editor still has no
-- UPDATE or DELETE on them by privilege.
--
-- Redaction with reasons. A moderator replaces a span of a contribution's published text by
-- '[redacted: REASON]' ('redact' record event, its content hash pinning the new text, its data
-- each span's row, consult_redaction_content); the span is kept in
-- contribution_redactions.original, which only consult_admin may read (column privileges: reading
-- it as consult_editor or consult_reader is refused, SQLSTATE 42501), and replaced in the
-- contribution's earlier texts (consult_redact_revisions), each re-pinned by a 'redact' event.
--
-- Disclosure control. A workshop's participation counts below its disclosure_threshold are
-- suppressed in exports (ConsultExport.CellSuppression).

ALTER TABLE stakeholders ADD COLUMN pseudonym text;
ALTER TABLE workshops ADD COLUMN disclosure_threshold integer NOT NULL DEFAULT 3
  CHECK (disclosure_threshold BETWEEN 1 AND 1000);

-- The pseudonyms' numbers: "Participant N", never reused.
CREATE SEQUENCE stakeholder_pseudonyms;

-- Spans redacted by moderators.
CREATE TABLE contribution_redactions (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  contribution_id bigint NOT NULL REFERENCES contributions (id),
  event_id        bigint NOT NULL,            -- the 'redact' event that logged it
  reason          text NOT NULL CHECK (reason ~ '^[a-z][a-z-]*$'),
  note            text,
  start_offset    integer NOT NULL CHECK (start_offset >= 0),  -- in code points, in the text before
  end_offset      integer NOT NULL CHECK (end_offset > start_offset),
  original        text NOT NULL,              -- the span as it was: consult_admin only
  salt            bytea NOT NULL CHECK (octet_length(salt) >= 16),  -- of its pinned hash: consult_admin only
  actor_id        bigint NOT NULL REFERENCES actors (id),
  recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX contribution_redactions_contribution ON contribution_redactions (contribution_id, id);

-- The content a 'redact' event pins for each span it redacted (its data's `redactions`: these
-- hashes in hex, comma-separated, in the order of the spans' offsets); an erasure that rewrites a
-- redaction row pins it anew (its data's `redactions`: 'ROW ID:HEX' pairs). The salt (16 random
-- bytes, readable by consult_admin only, like the span) keeps a reader of the log from testing
-- guesses of a redacted span against its hash.
CREATE FUNCTION consult_redaction_content(salt bytea, contribution bigint, reason text, note text,
                                          start_offset integer, end_offset integer, original text) RETURNS bytea
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sha256(salt || convert_to('consult-redaction-1;' || consult_field(contribution::text) || consult_field(reason)
                                   || consult_field(note) || consult_field(start_offset::text)
                                   || consult_field(end_offset::text) || consult_field(original), 'UTF8'))
$$;

-- The content of a contribution's earlier text (a row of contribution_revisions) that the
-- 'revise-text' event which kept it pins in its data (`revision`, `revision_hash` in hex); a
-- redaction or an erasure that rewrites the row pins it anew the same way (migration 0009 kept
-- revisions unpinned: rows kept before this migration are not checked).
CREATE FUNCTION consult_contribution_revision_content(contribution bigint, revision integer, body text,
                                                      language text, reason text) RETURNS bytea
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sha256(convert_to('consult-contribution-revision-1;' || consult_field(contribution::text)
                           || consult_field(revision::text) || consult_field(body) || consult_field(language)
                           || consult_field(reason), 'UTF8'))
$$;

-- Events rewritten by an erasure: the hash the chain holds and the hash of the rewritten row.
CREATE TABLE event_redactions (
  event_id          bigint NOT NULL,
  erasure_event_id  bigint NOT NULL,          -- the consultation's 'erase-personal-data' event
  hash_before       bytea NOT NULL,
  hash_after        bytea NOT NULL,
  PRIMARY KEY (event_id, erasure_event_id)
);
CREATE INDEX event_redactions_erasure ON event_redactions (erasure_event_id);

-- Privileges: the redacted spans are readable by consult_admin only; both tables append-only.
REVOKE SELECT ON contribution_redactions FROM consult_reader;
GRANT SELECT (id, contribution_id, event_id, reason, note, start_offset, end_offset, actor_id, recorded_at)
  ON contribution_redactions TO consult_reader;
GRANT SELECT ON contribution_redactions TO consult_admin;
REVOKE UPDATE, DELETE ON contribution_redactions, event_redactions FROM consult_editor;
REVOKE INSERT ON event_redactions FROM consult_editor;

-- Whether the sanctioned erasure path is running in this transaction.
CREATE FUNCTION consult_erasing() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT current_user = 'consult_owner' AND coalesce(current_setting('consult.erasure', true), '') = 'on'
$$;

CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND consult_erasing() THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'the event log is append-only (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE OR REPLACE FUNCTION contribution_revisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND consult_erasing() THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'contribution revisions are append-only (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE OR REPLACE FUNCTION consult_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND consult_erasing() THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER contribution_redactions_append_only BEFORE UPDATE OR DELETE ON contribution_redactions
  FOR EACH ROW EXECUTE FUNCTION consult_refuse_change();
CREATE TRIGGER event_redactions_append_only BEFORE UPDATE OR DELETE ON event_redactions
  FOR EACH ROW EXECUTE FUNCTION consult_refuse_change();

-- The content an erasure event pins: its event_redactions rows, one line
-- 'event id:hash before hex:hash after hex' each, by event id, prefixed 'consult-redactions-1'.
CREATE FUNCTION consult_event_redactions_content(erasure bigint) RETURNS bytea
  LANGUAGE sql STABLE AS $$
  SELECT sha256(convert_to('consult-redactions-1' || coalesce(string_agg(
    E'\n' || event_id || ':' || encode(hash_before, 'hex') || ':' || encode(hash_after, 'hex'), '' ORDER BY event_id), ''),
    'UTF8'))
  FROM event_redactions WHERE erasure_event_id = erasure
$$;

-- Whether an event is as its hash says: unchanged, or changed only by a pinned erasure.
CREATE FUNCTION consult_event_intact(e events) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE
  now_hash bytea := consult_event_hash(e);
BEGIN
  IF e.hash IS NOT DISTINCT FROM now_hash THEN
    RETURN true;
  END IF;
  -- The pinning erasure event must come later in the log and belong where the rewritten event
  -- does: its consultation's chain, or, for an event of the stakeholder register, the chain of a
  -- stakeholder that was forgotten. An erasure event forged elsewhere pins nothing.
  RETURN EXISTS (
    SELECT 1 FROM event_redactions r JOIN events x ON x.id = r.erasure_event_id
    WHERE r.event_id = e.id AND r.hash_before = e.hash AND r.hash_after = now_hash
      AND x.event = 'erase-personal-data' AND x.content_hash = consult_event_redactions_content(x.id)
      AND x.id > e.id
      AND x.consultation_id IS NOT DISTINCT FROM e.consultation_id
      AND CASE WHEN x.consultation_id IS NULL
            THEN x.entity_kind = 'stakeholder'
                 AND EXISTS (SELECT 1 FROM stakeholders f WHERE f.id = x.entity_id AND f.erased_at IS NOT NULL)
            ELSE x.entity_kind = 'consultation' AND x.entity_id = x.consultation_id
          END);
END;
$$;

-- A regular expression (ARE) that finds `words` as whole words, in any case when used with ~* or
-- the 'i' flag: every character that is no letter, digit or space escaped (in an ARE a backslash
-- before such a character means the character), and no letter, digit or '_' on either side.
CREATE FUNCTION consult_words_pattern(words text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT '(?<![[:alnum:]_])' || regexp_replace(words, '([^[:alnum:][:space:]])', '\\\1', 'g') || '(?![[:alnum:]_])'
$$;

-- `body` with every pattern (a regular expression) replaced by `replacement`.
CREATE FUNCTION consult_redact_text(body text, patterns text[], replacement text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  pattern text;
  result text := body;
BEGIN
  IF result IS NULL THEN
    RETURN NULL;
  END IF;
  FOREACH pattern IN ARRAY coalesce(patterns, '{}') LOOP
    result := regexp_replace(result, pattern, replacement, 'gi');
  END LOOP;
  RETURN result;
END;
$$;

-- `data` with its string values redacted.
CREATE FUNCTION consult_redact_json(data jsonb, patterns text[], replacement text) RETURNS jsonb
  LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN data IS NULL THEN NULL ELSE coalesce((
    SELECT jsonb_object_agg(key, CASE WHEN jsonb_typeof(value) = 'string'
                                      THEN to_jsonb(consult_redact_text(value #>> '{}', patterns, replacement))
                                      ELSE value END)
    FROM jsonb_each(data)), '{}'::jsonb) END
$$;

-- Forgets a stakeholder (see the header). `also`: further identifying strings (a nickname, a
-- former name); `actor_handles`: the person's actor records to erase (an actor whose handle is
-- the stakeholder's handle is erased as well). Strings shorter than 3 characters are not
-- searched for. The drafting tables are erased by consult_forget_in_drafts (migration 0035), and
-- names in consultations' titles and owners, themes' titles, workshops' titles and venues are
-- replaced too. Returns {pseudonym, contributions, summaries, draft_revisions, comments, events,
-- actors, consultations}.
CREATE FUNCTION consult_forget_stakeholder(
  p_stakeholder bigint, p_reason text, p_actor text, p_also text[], p_actor_handles text[]
) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  s stakeholders;
  who bigint;
  v_pseudonym text;
  strings text[];
  patterns text[];
  clean_reason text;
  rk record;
  rp record;
  re record;
  rc record;
  new_text text;
  new_title text;
  new_body text;
  new_attribution text;
  erasure_id bigint;
  n_contributions integer := 0;
  n_summaries integer := 0;
  n_events integer := 0;
  n_actors integer := 0;
  n_consultations integer := 0;
  drafting jsonb;
  redacted_events bigint[] := '{}';
  consultations_touched bigint[] := '{}';
BEGIN
  SELECT * INTO s FROM stakeholders WHERE id = p_stakeholder FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no stakeholder #%', p_stakeholder USING ERRCODE = 'no_data_found';
  END IF;
  IF s.erased_at IS NOT NULL THEN
    RAISE EXCEPTION 'stakeholder #% was already forgotten (%)', p_stakeholder, s.pseudonym
      USING ERRCODE = 'unique_violation';
  END IF;
  who := consult_actor(p_actor);
  PERFORM set_config('consult.erasure', 'on', true);

  -- The identifying strings, longest first (an e-mail address before the handle it contains).
  -- Handles and an address's local part are searched for only when they are no plain word
  -- (one with a dot, dash, underscore or digit; a handle that is a plain word may be a word of any
  -- text): give a plain-word one with `also`.
  SELECT array_agg(x ORDER BY length(x) DESC, x) INTO strings FROM (
    SELECT DISTINCT btrim(x) AS x FROM unnest(
      ARRAY[s.name, s.email] || coalesce(p_also, '{}')
      || ARRAY(SELECT a.name FROM actors a WHERE a.erased_at IS NULL AND a.name IS NOT NULL
                 AND (a.handle = ANY (coalesce(p_actor_handles, '{}')) OR a.handle = s.handle))
      || ARRAY(SELECT h FROM unnest(
                 ARRAY[s.handle, split_part(s.email, '@', 1)]
                 || ARRAY(SELECT a.handle FROM actors a WHERE a.erased_at IS NULL
                            AND (a.handle = ANY (coalesce(p_actor_handles, '{}')) OR a.handle = s.handle))) h
               WHERE h ~ '[^[:alpha:]]')) x
    WHERE x IS NOT NULL AND length(btrim(x)) >= 3) t;
  -- As whole words, case-insensitively, the strings' own characters taken literally.
  SELECT array_agg(consult_words_pattern(x) ORDER BY length(x) DESC, x)
  INTO patterns FROM unnest(coalesce(strings, '{}')) x;
  patterns := coalesce(patterns, '{}');
  v_pseudonym := 'Participant ' || nextval('stakeholder_pseudonyms');
  clean_reason := consult_redact_text(p_reason, patterns, v_pseudonym);

  -- Contributions: by the person (reattributed), or naming them.
  FOR rk IN
    SELECT x.*, cs.workflow_name, cs.workflow_version FROM contributions x
    JOIN consultations cs ON cs.id = x.consultation_id
    WHERE x.stakeholder_id = s.id OR (s.kind = 'organisation' AND x.organisation_id = s.id)
       OR EXISTS (SELECT 1 FROM unnest(patterns) q WHERE x.text ~* q OR x.title ~* q)
       OR EXISTS (SELECT 1 FROM contribution_revisions r, unnest(patterns) q
                  WHERE r.contribution_id = x.id AND (r.text ~* q OR r.reason ~* q))
       OR EXISTS (SELECT 1 FROM contribution_redactions r, unnest(patterns) q
                  WHERE r.contribution_id = x.id AND (r.original ~* q OR r.note ~* q))
    ORDER BY x.id FOR UPDATE OF x
  LOOP
    new_text := consult_redact_text(rk.text, patterns, v_pseudonym);
    new_title := consult_redact_text(rk.title, patterns, v_pseudonym);
    new_attribution := CASE
      WHEN rk.attribution = 'named' AND (rk.stakeholder_id = s.id OR rk.organisation_id = s.id) THEN 'stakeholder-group'
      WHEN rk.attribution = 'organisation' AND (rk.organisation_id = s.id OR (rk.stakeholder_id = s.id AND rk.organisation_id IS NULL))
        THEN 'stakeholder-group'
      ELSE rk.attribution END;
    UPDATE contributions SET text = new_text, title = new_title, attribution = new_attribution,
                             version = version + 1
    WHERE id = rk.id;
    -- Earlier texts naming them: each rewritten one pinned anew (data: revision, revision_hash).
    WITH rewritten AS (
      UPDATE contribution_revisions SET text = consult_redact_text(text, patterns, v_pseudonym),
                                        reason = consult_redact_text(reason, patterns, v_pseudonym)
      WHERE contribution_id = rk.id
        AND EXISTS (SELECT 1 FROM unnest(patterns) q WHERE text ~* q OR reason ~* q)
      RETURNING contribution_id, revision, text, language, reason)
    INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id, reason,
                        workflow_name, workflow_version, data)
    SELECT rk.consultation_id, 'contribution', rk.id, 'erase-personal-data', rk.state, rk.state, who, clean_reason,
           rk.workflow_name, rk.workflow_version,
           jsonb_build_object('pseudonym', v_pseudonym, 'revision', w.revision::text, 'revision_hash',
                              encode(consult_contribution_revision_content(w.contribution_id, w.revision, w.text,
                                                                           w.language, w.reason), 'hex'))
    FROM rewritten w ORDER BY w.revision;
    UPDATE contribution_redactions SET original = consult_redact_text(original, patterns, v_pseudonym),
                                       note = consult_redact_text(note, patterns, v_pseudonym)
    WHERE contribution_id = rk.id;
    -- The contribution's new content, and its redaction rows pinned anew ('ROW ID:HEX' pairs).
    INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id, reason,
                        workflow_name, workflow_version, data, content_hash)
    VALUES (rk.consultation_id, 'contribution', rk.id, 'erase-personal-data', rk.state, rk.state, who, clean_reason,
            rk.workflow_name, rk.workflow_version,
            jsonb_strip_nulls(jsonb_build_object(
              'pseudonym', v_pseudonym, 'attribution_from', rk.attribution, 'attribution_to', new_attribution,
              'redactions', (SELECT string_agg(r.id || ':' || encode(consult_redaction_content(
                                                 r.salt, r.contribution_id, r.reason, r.note, r.start_offset,
                                                 r.end_offset, r.original), 'hex'), ',' ORDER BY r.id)
                             FROM contribution_redactions r WHERE r.contribution_id = rk.id))),
            consult_contribution_content(new_text, new_attribution, rk.stakeholder_id));
    n_contributions := n_contributions + 1;
    consultations_touched := consultations_touched || rk.consultation_id;
  END LOOP;

  -- Summaries naming them, and their earlier revisions: each rewritten earlier revision N is
  -- pinned anew by an 'erase-personal-data' event with data.revision N (as the 'revise-text' event
  -- that made it current pinned it), then the current text by one with the current revision.
  FOR rp IN
    SELECT x.*, cs.workflow_name, cs.workflow_version FROM proceedings_summaries x
    JOIN consultations cs ON cs.id = x.consultation_id
    WHERE EXISTS (SELECT 1 FROM unnest(patterns) q WHERE x.body ~* q OR x.title ~* q)
       OR EXISTS (SELECT 1 FROM proceedings_summary_revisions r, unnest(patterns) q
                  WHERE r.summary_id = x.id AND (r.body ~* q OR r.title ~* q))
    ORDER BY x.id FOR UPDATE OF x
  LOOP
    new_title := consult_redact_text(rp.title, patterns, v_pseudonym);
    new_body := consult_redact_text(rp.body, patterns, v_pseudonym);
    UPDATE proceedings_summaries SET title = new_title, body = new_body, version = version + 1 WHERE id = rp.id;
    WITH rewritten AS (
      UPDATE proceedings_summary_revisions SET title = consult_redact_text(title, patterns, v_pseudonym),
                                               body = consult_redact_text(body, patterns, v_pseudonym)
      WHERE summary_id = rp.id
        AND EXISTS (SELECT 1 FROM unnest(patterns) q WHERE title ~* q OR body ~* q)
      RETURNING revision, title, body)
    INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id, reason,
                        workflow_name, workflow_version, data, content_hash)
    SELECT rp.consultation_id, 'proceedings-summary', rp.id, 'erase-personal-data', rp.state, rp.state, who,
           clean_reason, rp.workflow_name, rp.workflow_version,
           jsonb_build_object('pseudonym', v_pseudonym, 'revision', w.revision::text),
           consult_summary_content(w.title, w.body)
    FROM rewritten w ORDER BY w.revision;
    INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id, reason,
                        workflow_name, workflow_version, data, content_hash)
    VALUES (rp.consultation_id, 'proceedings-summary', rp.id, 'erase-personal-data', rp.state, rp.state, who,
            clean_reason, rp.workflow_name, rp.workflow_version,
            jsonb_build_object('pseudonym', v_pseudonym, 'revision', rp.revision::text),
            consult_summary_content(new_title, new_body));
    n_summaries := n_summaries + 1;
    consultations_touched := consultations_touched || rp.consultation_id;
  END LOOP;

  -- The drafting tables (migration 0035: revisions, the draft's title, comments).
  drafting := consult_forget_in_drafts(s.id, s.kind, patterns, v_pseudonym, who, clean_reason);
  consultations_touched := consultations_touched
    || ARRAY(SELECT x::bigint FROM jsonb_array_elements_text(drafting -> 'consultations') x);

  -- Names in titles (no content hash covers them; the events that recorded them are rewritten
  -- below): consultations' titles and owners, themes' titles, workshops' titles and venues.
  UPDATE consultations SET title = consult_redact_text(title, patterns, v_pseudonym),
                           owner = consult_redact_text(owner, patterns, v_pseudonym)
  WHERE EXISTS (SELECT 1 FROM unnest(patterns) q WHERE title ~* q OR owner ~* q);
  UPDATE themes SET title = consult_redact_text(title, patterns, v_pseudonym)
  WHERE EXISTS (SELECT 1 FROM unnest(patterns) q WHERE title ~* q);
  UPDATE workshops SET title = consult_redact_text(title, patterns, v_pseudonym),
                       venue = consult_redact_text(venue, patterns, v_pseudonym)
  WHERE EXISTS (SELECT 1 FROM unnest(patterns) q WHERE title ~* q OR venue ~* q);

  -- Side tables of free text.
  UPDATE workshop_reschedules SET reason = consult_redact_text(reason, patterns, v_pseudonym)
  WHERE EXISTS (SELECT 1 FROM unnest(patterns) q WHERE reason ~* q);
  UPDATE contribution_tags SET search_query = consult_redact_text(search_query, patterns, v_pseudonym)
  WHERE EXISTS (SELECT 1 FROM unnest(patterns) q WHERE search_query ~* q);

  -- Events whose reason or data name them: rewritten, their hashes before and after kept, pinned by
  -- one erasure event per consultation.
  CREATE TEMPORARY TABLE IF NOT EXISTS erased_events (event_id bigint, consultation_id bigint, hash_before bytea,
                                                      hash_after bytea) ON COMMIT DROP;
  DELETE FROM erased_events;
  FOR re IN
    SELECT x.* FROM events x
    WHERE EXISTS (SELECT 1 FROM unnest(patterns) q WHERE x.reason ~* q OR x.data::text ~* q)
    ORDER BY x.id FOR UPDATE
  LOOP
    UPDATE events SET reason = consult_redact_text(reason, patterns, v_pseudonym),
                      data = consult_redact_json(data, patterns, v_pseudonym)
    WHERE id = re.id;
    INSERT INTO erased_events
    SELECT x.id, x.consultation_id, re.hash, consult_event_hash(x) FROM events x WHERE x.id = re.id;
    n_events := n_events + 1;
  END LOOP;
  FOR rc IN
    SELECT x.id, x.state, x.workflow_name, x.workflow_version FROM consultations x
    WHERE x.id = ANY (consultations_touched) OR x.id IN (SELECT consultation_id FROM erased_events)
    ORDER BY x.id
  LOOP
    erasure_id := nextval(pg_get_serial_sequence('events', 'id'));
    INSERT INTO event_redactions (event_id, erasure_event_id, hash_before, hash_after)
    SELECT event_id, erasure_id, hash_before, hash_after FROM erased_events WHERE consultation_id = rc.id;
    INSERT INTO events (id, consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id, reason,
                        workflow_name, workflow_version, data, content_hash)
    OVERRIDING SYSTEM VALUE
    VALUES (erasure_id, rc.id, 'consultation', rc.id, 'erase-personal-data', rc.state, rc.state, who, clean_reason,
            rc.workflow_name, rc.workflow_version,
            jsonb_build_object('pseudonym', v_pseudonym,
                               'events_redacted', (SELECT count(*) FROM erased_events WHERE consultation_id = rc.id)::text),
            consult_event_redactions_content(erasure_id));
    UPDATE consultations SET version = version + 1 WHERE id = rc.id;
    n_consultations := n_consultations + 1;
  END LOOP;

  -- The stakeholder register (migration 0016): the erasure is an event of the stakeholder's own
  -- chain, which also pins the rewritten register events (they belong to no consultation).
  erasure_id := nextval(pg_get_serial_sequence('events', 'id'));
  INSERT INTO event_redactions (event_id, erasure_event_id, hash_before, hash_after)
  SELECT event_id, erasure_id, hash_before, hash_after FROM erased_events WHERE consultation_id IS NULL;
  INSERT INTO events (id, consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id, reason,
                      workflow_name, workflow_version, data, content_hash)
  OVERRIDING SYSTEM VALUE
  VALUES (erasure_id, NULL, 'stakeholder', s.id, 'erase-personal-data', 'registered', 'erased', who, clean_reason,
          NULL, NULL,
          jsonb_build_object('pseudonym', v_pseudonym,
                             'events_redacted', (SELECT count(*) FROM erased_events WHERE consultation_id IS NULL)::text),
          consult_event_redactions_content(erasure_id));

  -- The person's actor records.
  UPDATE actors SET handle = 'erased-' || id, name = NULL, erased_at = now()
  WHERE erased_at IS NULL AND (handle = ANY (coalesce(p_actor_handles, '{}')) OR handle = s.handle);
  GET DIAGNOSTICS n_actors = ROW_COUNT;

  -- The stakeholder record itself.
  UPDATE stakeholders SET name = v_pseudonym, pseudonym = v_pseudonym, email = NULL,
                          role = NULL, handle = NULL, source_key = NULL, match_key = NULL, erased_at = now()
  WHERE id = s.id;

  PERFORM set_config('consult.erasure', 'off', true);
  RETURN jsonb_build_object('pseudonym', v_pseudonym, 'contributions', n_contributions, 'summaries', n_summaries,
                            'draft_revisions', (drafting ->> 'revisions')::integer,
                            'comments', (drafting ->> 'comments')::integer,
                            'events', n_events, 'actors', n_actors, 'consultations', n_consultations);
END;
$$;
REVOKE EXECUTE ON FUNCTION consult_forget_stakeholder(bigint, text, text, text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION consult_forget_stakeholder(bigint, text, text, text[], text[]) TO consult_admin;

-- A moderator's redaction reaches a contribution's earlier texts too: every occurrence of `span` in
-- its contribution_revisions is replaced by `marker` ('[redacted: REASON]'), and each revision
-- changed is pinned anew by a 'redact' event (data: reason, revision, revision_hash =
-- consult_contribution_revision_content). The one path by which consult_editor rewrites
-- revisions, and only for the redaction logged in this transaction: a 'redact' event on that
-- contribution (data: spans) whose contribution_redactions rows hold `span` with the reason
-- `marker` shows, where the text the previous content event pinned, with each of those rows' spans
-- put back at its offsets in place of its marker, is the text the 'redact' event pins (so a span
-- is redacted from the revisions only when it was redacted, logged, from the text itself).
-- Returns how many revisions changed.
CREATE FUNCTION consult_redact_revisions(p_contribution bigint, p_span text, p_marker text) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  changed integer;
  ev events;
  k contributions;
  r record;
  marker text;
  before_text text := '';
  pos integer := 0;       -- code points of the text after, consumed
  prev_end integer := 0;  -- code points of the text before, consumed
  prior bytea;
  refused constant text := 'revisions of contribution %s are redacted only with a logged redaction of that span';
BEGIN
  IF p_marker !~ '^\[redacted: [a-z ]+\]$' OR coalesce(p_span, '') = '' THEN
    RAISE EXCEPTION 'a redaction replaces a span by ''[redacted: REASON]''' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT e.* INTO ev FROM events e
  WHERE e.entity_kind = 'contribution' AND e.entity_id = p_contribution AND e.event = 'redact' AND e.data ? 'spans'
    AND e.xmin = pg_current_xact_id()::xid
  ORDER BY e.id DESC LIMIT 1;
  IF ev.id IS NULL OR NOT EXISTS (
       SELECT 1 FROM contribution_redactions x
       WHERE x.event_id = ev.id AND x.contribution_id = p_contribution AND x.original = p_span
         AND '[redacted: ' || replace(x.reason, '-', ' ') || ']' = p_marker AND x.reason = ev.data ->> 'reason'
         AND x.xmin = pg_current_xact_id()::xid) THEN
    RAISE EXCEPTION USING MESSAGE = format(refused, p_contribution), ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO k FROM contributions WHERE id = p_contribution;
  FOR r IN SELECT * FROM contribution_redactions x WHERE x.event_id = ev.id AND x.contribution_id = p_contribution
           ORDER BY x.start_offset, x.id LOOP
    marker := '[redacted: ' || replace(r.reason, '-', ' ') || ']';
    IF r.start_offset < prev_end OR length(r.original) <> r.end_offset - r.start_offset
       OR substr(k.text, pos + r.start_offset - prev_end + 1, length(marker)) IS DISTINCT FROM marker THEN
      RAISE EXCEPTION USING MESSAGE = format(refused, p_contribution), ERRCODE = 'insufficient_privilege';
    END IF;
    before_text := before_text || substr(k.text, pos + 1, r.start_offset - prev_end) || r.original;
    pos := pos + r.start_offset - prev_end + length(marker);
    prev_end := r.end_offset;
  END LOOP;
  before_text := before_text || substr(k.text, pos + 1);
  SELECT x.content_hash INTO prior FROM events x
  WHERE x.entity_kind = 'contribution' AND x.entity_id = p_contribution AND x.content_hash IS NOT NULL AND x.id < ev.id
  ORDER BY x.id DESC LIMIT 1;
  IF ev.content_hash IS DISTINCT FROM consult_contribution_content(k.text, k.attribution, k.stakeholder_id)
     OR prior IS DISTINCT FROM consult_contribution_content(before_text, k.attribution, k.stakeholder_id) THEN
    RAISE EXCEPTION USING MESSAGE = format(refused, p_contribution), ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM set_config('consult.erasure', 'on', true);
  WITH rewritten AS (
    UPDATE contribution_revisions SET text = replace(text, p_span, p_marker)
    WHERE contribution_id = p_contribution AND strpos(text, p_span) > 0
    RETURNING contribution_id, revision, text, language, reason)
  INSERT INTO events (consultation_id, entity_kind, entity_id, event, from_state, to_state, actor_id, reason,
                      workflow_name, workflow_version, data)
  SELECT ev.consultation_id, 'contribution', p_contribution, 'redact', k.state, k.state, ev.actor_id, ev.reason,
         ev.workflow_name, ev.workflow_version,
         jsonb_build_object('reason', ev.data ->> 'reason', 'revision', w.revision::text, 'revision_hash',
                            encode(consult_contribution_revision_content(w.contribution_id, w.revision, w.text,
                                                                         w.language, w.reason), 'hex'))
  FROM rewritten w ORDER BY w.revision;
  GET DIAGNOSTICS changed = ROW_COUNT;
  PERFORM set_config('consult.erasure', 'off', true);
  RETURN changed;
END;
$$;
REVOKE EXECUTE ON FUNCTION consult_redact_revisions(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION consult_redact_revisions(bigint, text, text) TO consult_editor;

-- What `log verify` finds wrong with the redaction rows (SECURITY DEFINER: it reads the spans and
-- salts, which only consult_admin may read, and returns no more than which row is wrong): a row no
-- 'redact' event of its contribution logged (inserted outside consult), a row whose content is not
-- what its event (or a later erasure) pinned (edited), an event with fewer or more rows than the
-- spans it pinned (deleted or inserted). `p_consultation` NULL: every consultation.
CREATE FUNCTION consult_redaction_findings(p_consultation bigint)
  RETURNS TABLE (contribution_id bigint, event_id bigint, problem text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH logged AS (
    SELECT e.id, e.entity_id AS contribution_id, e.data ->> 'reason' AS reason,
           string_to_array(e.data ->> 'redactions', ',') AS pins
    FROM events e
    WHERE e.entity_kind = 'contribution' AND e.event = 'redact' AND e.data ? 'spans'
      AND (p_consultation IS NULL OR e.consultation_id = p_consultation)
  ), kept AS (
    SELECT r.id, r.contribution_id, r.event_id, r.reason,
           row_number() OVER (PARTITION BY r.event_id ORDER BY r.start_offset, r.id) AS position,
           encode(consult_redaction_content(r.salt, r.contribution_id, r.reason, r.note, r.start_offset, r.end_offset,
                                            r.original), 'hex') AS now_hash
    FROM contribution_redactions r JOIN contributions k ON k.id = r.contribution_id
    WHERE p_consultation IS NULL OR k.consultation_id = p_consultation
  )
  SELECT w.contribution_id, w.event_id,
         'redaction row #' || w.id || ' was logged by no ''redact'' event of the contribution: it was inserted outside consult'
  FROM kept w LEFT JOIN logged l ON l.id = w.event_id AND l.contribution_id = w.contribution_id
  WHERE l.id IS NULL
  UNION ALL
  SELECT w.contribution_id, w.event_id,
         'redaction row #' || w.id || ' (its span, reason, note or offsets) is not what its events pinned: it was edited outside consult'
  FROM kept w JOIN logged l ON l.id = w.event_id AND l.contribution_id = w.contribution_id
  WHERE w.reason IS DISTINCT FROM l.reason OR w.now_hash IS DISTINCT FROM coalesce(
    (SELECT split_part(p, ':', 2) FROM events x, unnest(string_to_array(x.data ->> 'redactions', ',')) p
     WHERE x.entity_kind = 'contribution' AND x.entity_id = w.contribution_id AND x.event = 'erase-personal-data'
       AND split_part(p, ':', 1) = w.id::text
     ORDER BY x.id DESC LIMIT 1),
    l.pins[w.position])
  UNION ALL
  SELECT l.contribution_id, l.id,
         'the redaction logged ' || coalesce(cardinality(l.pins), 0) || ' span(s) but ' || n.count
           || ' row(s) hold them: rows were deleted or inserted outside consult'
  FROM logged l CROSS JOIN LATERAL (SELECT count(*) FROM contribution_redactions r
                                    WHERE r.event_id = l.id AND r.contribution_id = l.contribution_id) n
  WHERE coalesce(cardinality(l.pins), 0) <> n.count
$$;
REVOKE EXECUTE ON FUNCTION consult_redaction_findings(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION consult_redaction_findings(bigint) TO consult_reader;
