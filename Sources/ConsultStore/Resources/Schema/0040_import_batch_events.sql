-- 0040_import_batch_events: one event per import batch (issue 13, "lifted rules").
--
-- A bulk import logs one event per batch of contributions instead of one per contribution. The
-- batch is an entity of its own kind, 'contribution-batch' (no table: its id comes from the
-- sequence contribution_batch_ids, and its one event is all there is of it). That event:
--   event         'import', from_state NULL (it creates the batch's contributions), to_state the
--                 contributions' initial state, reason 'import FILE';
--   data          {"rows": N, "contributions": [[LO, HI], [LO, HI], ...]}: how many contributions it
--                 created and their ids as ascending runs (all of them, so a deleted one is named),
--                 JSON numbers: an erasure rewrites the string values of event data (consult_redact_json,
--                 0020), and an erased string that is a number (a house number given with --also) must
--                 not turn a run into text no verifier can read;
--   content_hash  consult_contribution_batch_content (below) over the batch's contributions.
-- Each contribution it created carries batch_id (the batch) and batch_content_hash (its content
-- when created: consult_contribution_content, migration 0012). `consult log verify` treats the
-- batch event as each of them's creation event: a contribution with no content event of its own
-- must still have the content its batch pinned; the batch hash is recomputed over the members'
-- pins; every id the event lists must be a member, every member listed.
--
-- A contribution's later events (transitions, redaction, erasure rewrites, text revisions) chain
-- from its batch event: the first one's prev_hash is the batch event's hash (consult_chain_origin,
-- which the events_chain trigger of 0036 asks when an entity has no earlier event). Contributions recorded
-- by hand keep their own 'create' event.
--
-- The batch hash (canonical form 'consult-contribution-batch-1'): SHA-256 of the UTF-8 bytes of
-- 'consult-contribution-batch-1;' followed, for each contribution of the batch in ascending id
-- order, by two fields in 0012's length-prefixed form (decimal byte length, ':', the bytes, ';';
-- NULL '-;'): the contribution's id in decimal, and its pinned content hash in lower-case hex.
-- Computed here and nowhere else.

CREATE SEQUENCE contribution_batch_ids;

ALTER TABLE contributions ADD COLUMN batch_id bigint, ADD COLUMN batch_content_hash bytea;

-- The content a batch event pins (see the header). `ids` and `pins` are parallel arrays (any order).
CREATE FUNCTION consult_contribution_batch_content(p_ids bigint[], p_pins bytea[]) RETURNS bytea
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sha256(convert_to('consult-contribution-batch-1;' || coalesce(string_agg(
    octet_length(m.id::text) || ':' || m.id::text || ';'
    || coalesce(octet_length(encode(m.pin, 'hex')) || ':' || encode(m.pin, 'hex') || ';', '-;'),
    '' ORDER BY m.id), ''), 'UTF8'))
  FROM unnest(p_ids, p_pins) AS m(id, pin)
$$;

-- Ids as ascending runs [[LO, HI], ...] of JSON numbers (a batch event's data.contributions); NULL for none.
CREATE FUNCTION consult_id_runs(p_ids bigint[]) RETURNS jsonb
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT jsonb_agg(jsonb_build_array(lo, hi) ORDER BY lo) FROM (
    SELECT min(id) AS lo, max(id) AS hi
    FROM (SELECT id, id - row_number() OVER (ORDER BY id) AS run FROM unnest(p_ids) AS u(id)) r
    GROUP BY run
  ) runs
$$;

-- The runs consult_id_runs wrote, read back; a value of any other shape (an event edited outside
-- consult) gives no run, and is_runs false.
CREATE FUNCTION consult_id_runs_read(p_runs jsonb)
  RETURNS TABLE (lo bigint, hi bigint) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (r ->> 0)::bigint, (r ->> 1)::bigint
  FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_runs) = 'array' THEN p_runs ELSE '[]' END) AS r
  WHERE jsonb_typeof(r) = 'array' AND jsonb_array_length(r) = 2
    AND jsonb_typeof(r -> 0) = 'number' AND jsonb_typeof(r -> 1) = 'number'
    AND (r ->> 0) ~ '^[0-9]{1,18}$' AND (r ->> 1) ~ '^[0-9]{1,18}$'
$$;

-- Whether `p_runs` is a list of runs as consult_id_runs writes them, covering exactly `p_rows`
-- ids: counted, not expanded, so a forged run of billions of ids costs nothing to refuse.
CREATE FUNCTION consult_id_runs_valid(p_runs jsonb, p_rows jsonb) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  -- CASE, not AND: SQL does not promise to test the shapes before jsonb_array_length reads them.
  SELECT CASE WHEN jsonb_typeof(p_runs) = 'array' AND jsonb_typeof(p_rows) = 'number' THEN
    (SELECT count(*) = jsonb_array_length(p_runs) AND coalesce(bool_and(lo <= hi), false)
            AND sum(hi - lo + 1)::text = p_rows::text
     FROM consult_id_runs_read(p_runs))
  ELSE false END
$$;

-- The ids that consult_id_runs wrote.
CREATE FUNCTION consult_id_runs_members(p_runs jsonb) RETURNS SETOF bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT generate_series(lo, hi) FROM consult_id_runs_read(p_runs)
$$;

-- Where the chain of an entity with no event of its own starts: for a contribution created by an
-- import batch, that batch's event (its hash, time and name); else no row.
CREATE OR REPLACE FUNCTION consult_chain_origin(p_kind text, p_entity bigint)
  RETURNS TABLE (hash bytea, occurred_at timestamptz, event text) LANGUAGE sql STABLE AS $$
  SELECT b.hash, b.occurred_at, b.event FROM contributions k
  JOIN events b ON b.entity_kind = 'contribution-batch' AND b.entity_id = k.batch_id AND b.from_state IS NULL
  WHERE p_kind = 'contribution' AND k.id = p_entity AND k.batch_id IS NOT NULL
$$;

-- The content hash that pinned a contribution's content before event `before`: its latest content
-- event before that one, else, for a contribution created by an import batch, its batch pin.
CREATE FUNCTION consult_contribution_pin_before(p_contribution bigint, p_before bigint) RETURNS bytea
  LANGUAGE sql STABLE AS $$
  SELECT coalesce(
    (SELECT x.content_hash FROM events x
     WHERE x.entity_kind = 'contribution' AND x.entity_id = p_contribution AND x.content_hash IS NOT NULL
       AND x.id < p_before
     ORDER BY x.id DESC LIMIT 1),
    (SELECT k.batch_content_hash FROM contributions k WHERE k.id = p_contribution))
$$;

-- 0020's consult_redact_revisions, with the content pinned before the redaction read by
-- consult_contribution_pin_before (an imported contribution's creation is its batch's event;
-- the line marked 'batch:').
CREATE OR REPLACE FUNCTION consult_redact_revisions(p_contribution bigint, p_span text, p_marker text) RETURNS integer
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
  prior := consult_contribution_pin_before(p_contribution, ev.id);  -- batch:
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

-- Whether `id` is one of the ids that consult_id_runs wrote.
CREATE FUNCTION consult_id_runs_contain(p_runs jsonb, p_id bigint) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(bool_or(p_id BETWEEN lo AND hi), false) FROM consult_id_runs_read(p_runs)
$$;
