-- 0008_faster_bulk_import: the same data, written faster by `consult contributions import`
-- (issue 4, benchmark): the campaign fingerprint is computed once per text and its normalisation
-- skips the steps that would change nothing; a contribution's fingerprint and search vector are
-- filled by a trigger instead of being generated columns, so that the import can compute them in
-- its staging table while the file streams in; the event log's workflow-version check runs once
-- per statement instead of once per event.
--
-- Why the trigger: a stored generated column is always computed by the INSERT that writes the
-- row, after the whole file has been read; computing it in `import_staging` instead (a generated
-- column there) lets the server work on each row while the client is still parsing the next
-- ones. The values are the same: both tables use the functions below.
--
-- Rule for writers (ConsultStore is the only one): leave `search_vector` NULL and the trigger
-- fills both columns; or supply both, computed by `consult_text_fingerprint(text)` and
-- `to_tsvector(consult_text_search_config(language), text)` (the import copies them from its
-- staging table). Changing `text` or `language` recomputes them.

-- The normalisation of 0002, with the same result for every text, computed faster: a PL/pgSQL
-- function (never inlined, each step evaluated once) that skips the steps which would leave the
-- text unchanged. NFKC (normalize(), PostgreSQL docs §9.4) runs only on a text not already in
-- NFKC form (the `IS NFKC NORMALIZED` quick check, Unicode UAX #15 §9); the HTML entities are
-- only decoded in a text with an `&`; whitespace is only collapsed in a text with two
-- whitespace characters in a row or one other than a plain space.
CREATE OR REPLACE FUNCTION consult_normalise_text(body text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  t text := lower(CASE WHEN body IS NFKC NORMALIZED THEN body ELSE normalize(body, NFKC) END);
BEGIN
  IF strpos(t, '&') > 0 THEN
    t := replace(replace(replace(replace(replace(replace(replace(t,
           '&quot;', '"'), '&#39;', ''''), '&apos;', ''''), '&lt;', '<'), '&gt;', '>'), '&nbsp;', ' '),
           '&amp;', '&');
  END IF;
  t := regexp_replace(t, '[\r\n][[:space:]]*re:[^\r\n]*[[:space:]]*$', '');
  t := regexp_replace(t, '[[:punct:]‘’‚‛“”„‟–—―…«»‹›¡¿·•′″]+', '', 'g');
  IF t ~ '[[:space:]]{2}' OR translate(t, ' ', '') ~ '[[:space:]]' THEN
    t := regexp_replace(t, '[[:space:]]+', ' ', 'g');
  END IF;
  RETURN btrim(t);
END;
$$;

-- The fingerprint computes the normalised text once. The SQL version of 0002 was inlined by the
-- planner, which substituted the normalisation into each branch of its CASE: four times per
-- text, 60 µs per Polis comment instead of 16 µs. PL/pgSQL functions are never inlined.
CREATE OR REPLACE FUNCTION consult_text_fingerprint(body text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  n text := consult_normalise_text(body);
BEGIN
  RETURN CASE
    WHEN n = '' THEN NULL
    WHEN n ~ '^(please )?(see|refer to) (the )?(attached|attachments?|enclosed)( (files?|documents?|comments?|letters?|pdf))?$'
      THEN NULL
    WHEN n = 'please write your comment here' THEN NULL
    ELSE md5(n)
  END;
END;
$$;

-- PostgreSQL docs, ALTER TABLE: DROP EXPRESSION turns a stored generated column into a normal
-- column, keeping the stored values.
ALTER TABLE contributions ALTER COLUMN fingerprint DROP EXPRESSION;
ALTER TABLE contributions ALTER COLUMN search_vector DROP EXPRESSION;

CREATE FUNCTION consult_contribution_derived() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.fingerprint := consult_text_fingerprint(NEW.text);
  NEW.search_vector := to_tsvector(consult_text_search_config(NEW.language), NEW.text);
  RETURN NEW;
END;
$$;

CREATE TRIGGER contributions_derived_on_insert BEFORE INSERT ON contributions
  FOR EACH ROW WHEN (NEW.search_vector IS NULL) EXECUTE FUNCTION consult_contribution_derived();
CREATE TRIGGER contributions_derived_on_update BEFORE UPDATE OF text, language ON contributions
  FOR EACH ROW WHEN (NEW.text IS DISTINCT FROM OLD.text OR NEW.language IS DISTINCT FROM OLD.language)
  EXECUTE FUNCTION consult_contribution_derived();

-- The workflow-version check of 0004, once per INSERT statement over all its new events (a
-- transition table, PostgreSQL docs §39.1 and CREATE TRIGGER) instead of once per event: an
-- import appends one creation event per contribution in one statement. Same rule, same error.
DROP TRIGGER events_current_workflow_version ON events;
DROP FUNCTION events_current_workflow_version();
CREATE FUNCTION events_current_workflow_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  stale record;
BEGIN
  SELECT n.workflow_name, n.workflow_version, n.consultation_id INTO stale
  FROM new_events n
  WHERE NOT EXISTS (SELECT 1 FROM consultations c
                    WHERE c.id = n.consultation_id AND c.workflow_name = n.workflow_name
                      AND c.workflow_version = n.workflow_version)
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'event recorded under workflow %@% but consultation % is on another version',
      stale.workflow_name, stale.workflow_version, stale.consultation_id
      USING ERRCODE = 'serialization_failure';
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER events_current_workflow_version AFTER INSERT ON events
  REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION events_current_workflow_version();
