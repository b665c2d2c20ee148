-- 0036_transition_checks_once: a workflow transition does each check once, and only the checks it
-- needs (issue 10, benchmark target: transitions at 16 clients keep 90% of their rate from before
-- the hash chain). Measured as instructions per transition on the server (Benchmarks/append-cost.sh,
-- callgrind, 500 transitions), 797k after 0017 and 653k after this migration; the rules, their
-- SQLSTATEs and every hash stay the same.
--
-- 1. The CHECK constraints of the tables a transition updates (workshops, contributions,
--    consultations) become row triggers that fire only when their columns are written:
--    PostgreSQL re-reads and plans every CHECK expression of a table from the catalog in each
--    INSERT or UPDATE statement (ExecConstraints), whatever columns it sets, and a transition sets
--    only `state` and `version`. `BEFORE INSERT OR UPDATE OF column` triggers (PostgreSQL docs,
--    CREATE TRIGGER) are skipped by an UPDATE that does not set their columns; their WHEN
--    condition is the CHECK's, negated, so the function runs only to refuse. A refusal is the same
--    error as the CHECK's: SQLSTATE 23514 (check_violation) naming the same constraint, which
--    NameRules.swift turns into its message. A NULL passes, as it does a CHECK.
-- 2. The workflow-version rule (0004, once per statement since 0008) is checked by events_chain,
--    with the consultation's phase: one lookup of the consultation's row by its key instead of a
--    statement trigger over a transition table and a search of the consultation's events for its
--    latest change of phase. That time is kept in consultations.phase_since (the occurred_at of
--    the consultation's latest event that changed its state), set by events_chain itself.
-- 3. An entity with no earlier event of its own starts its chain where consult_chain_origin says
--    (defined below as nowhere; migration 0040 for imported contributions).
-- 4. events_chain hashes through consult_event_canonical directly (one PL/pgSQL call instead of
--    two; consult_event_hash stays the one definition the verifier and erasure use, same bytes).

CREATE FUNCTION consult_refuse_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'new row for relation "%" violates check constraint "%"', TG_TABLE_NAME, TG_ARGV[0]
    USING ERRCODE = 'check_violation', CONSTRAINT = TG_ARGV[0], TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
END;
$$;

ALTER TABLE workshops
  DROP CONSTRAINT workshops_key_check, DROP CONSTRAINT workshops_title_check,
  DROP CONSTRAINT workshops_check, DROP CONSTRAINT workshops_disclosure_threshold_check;
CREATE TRIGGER workshops_key_check BEFORE INSERT OR UPDATE OF key ON workshops FOR EACH ROW
  WHEN (NOT (NEW.key ~ '^[a-z0-9][a-z0-9-]*$')) EXECUTE FUNCTION consult_refuse_check('workshops_key_check');
CREATE TRIGGER workshops_title_check BEFORE INSERT OR UPDATE OF title ON workshops FOR EACH ROW
  WHEN (NOT (NEW.title <> '')) EXECUTE FUNCTION consult_refuse_check('workshops_title_check');
CREATE TRIGGER workshops_check BEFORE INSERT OR UPDATE OF starts_at, ends_at ON workshops FOR EACH ROW
  WHEN (NOT (NEW.ends_at >= NEW.starts_at)) EXECUTE FUNCTION consult_refuse_check('workshops_check');
CREATE TRIGGER workshops_disclosure_threshold_check BEFORE INSERT OR UPDATE OF disclosure_threshold ON workshops
  FOR EACH ROW WHEN (NOT (NEW.disclosure_threshold BETWEEN 1 AND 1000))
  EXECUTE FUNCTION consult_refuse_check('workshops_disclosure_threshold_check');

ALTER TABLE contributions
  DROP CONSTRAINT contributions_kind_check, DROP CONSTRAINT contributions_text_check,
  DROP CONSTRAINT contributions_attribution_check, DROP CONSTRAINT contributions_check;
CREATE TRIGGER contributions_kind_check BEFORE INSERT OR UPDATE OF kind ON contributions FOR EACH ROW
  WHEN (NOT (NEW.kind IN ('oral-statement', 'written-submission')))
  EXECUTE FUNCTION consult_refuse_check('contributions_kind_check');
CREATE TRIGGER contributions_text_check BEFORE INSERT OR UPDATE OF text ON contributions FOR EACH ROW
  WHEN (NOT (NEW.text <> '')) EXECUTE FUNCTION consult_refuse_check('contributions_text_check');
CREATE TRIGGER contributions_attribution_check BEFORE INSERT OR UPDATE OF attribution ON contributions FOR EACH ROW
  WHEN (NOT (NEW.attribution IN ('named', 'organisation', 'stakeholder-group', 'not-for-publication')))
  EXECUTE FUNCTION consult_refuse_check('contributions_attribution_check');
CREATE TRIGGER contributions_check BEFORE INSERT OR UPDATE OF kind, workshop_id ON contributions FOR EACH ROW
  WHEN (NOT (NEW.kind = 'written-submission' OR NEW.workshop_id IS NOT NULL))
  EXECUTE FUNCTION consult_refuse_check('contributions_check');

ALTER TABLE consultations DROP CONSTRAINT consultations_slug_check, DROP CONSTRAINT consultations_title_check;
CREATE TRIGGER consultations_slug_check BEFORE INSERT OR UPDATE OF slug ON consultations FOR EACH ROW
  WHEN (NOT (NEW.slug ~ '^[a-z0-9][a-z0-9-]*$')) EXECUTE FUNCTION consult_refuse_check('consultations_slug_check');
CREATE TRIGGER consultations_title_check BEFORE INSERT OR UPDATE OF title ON consultations FOR EACH ROW
  WHEN (NOT (NEW.title <> '')) EXECUTE FUNCTION consult_refuse_check('consultations_title_check');

ALTER TABLE consultations ADD COLUMN phase_since timestamptz;
UPDATE consultations c SET phase_since = (
  SELECT e.occurred_at FROM events e
  WHERE e.entity_kind = 'consultation' AND e.entity_id = c.id AND e.from_state IS DISTINCT FROM e.to_state
  ORDER BY e.id DESC LIMIT 1);
COMMENT ON COLUMN consultations.phase_since IS
  'occurred_at of the consultation''s latest event that changed its state (set by events_chain, migration 0036)';
-- Only the chain trigger writes it (an UPDATE issued from a trigger runs at pg_trigger_depth() 1):
-- written by a statement of its own, it could date the phase back and let events pass the order
-- rule that the log's own phase change forbids.
CREATE FUNCTION consult_refuse_phase_since() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'consultations.phase_since is kept by the event log (its events_chain trigger) and is not written directly'
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER consultations_phase_since_on_insert BEFORE INSERT ON consultations FOR EACH ROW
  WHEN (NEW.phase_since IS NOT NULL AND pg_trigger_depth() = 0) EXECUTE FUNCTION consult_refuse_phase_since();
CREATE TRIGGER consultations_phase_since_on_update BEFORE UPDATE OF phase_since ON consultations FOR EACH ROW
  WHEN (NEW.phase_since IS DISTINCT FROM OLD.phase_since AND pg_trigger_depth() = 0)
  EXECUTE FUNCTION consult_refuse_phase_since();

DROP TRIGGER events_current_workflow_version ON events;
DROP FUNCTION events_current_workflow_version();

-- Where the chain of an entity with no earlier event of its own starts, when not at its own first
-- event: nowhere yet. Migration 0040 replaces it (an imported contribution's chain starts at its
-- import batch's event), so events_chain is defined once, here.
CREATE FUNCTION consult_chain_origin(p_kind text, p_entity bigint)
  RETURNS TABLE (hash bytea, occurred_at timestamptz, event text) LANGUAGE sql STABLE AS $$
  SELECT NULL::bytea, NULL::timestamptz, NULL::text WHERE false
$$;

CREATE OR REPLACE FUNCTION events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  previous record;
  home_workflow text;
  home_version text;
  phase_since timestamptz;
  phase record;
  opened timestamptz;
BEGIN
  IF NEW.data IS NOT NULL AND jsonb_typeof(NEW.data) <> 'object' THEN
    RAISE EXCEPTION 'an event''s data must be a JSON object, not %', jsonb_typeof(NEW.data)
      USING ERRCODE = 'check_violation';
  END IF;
  IF (NEW.entity_kind = 'stakeholder') <> (NEW.consultation_id IS NULL)
     OR (NEW.consultation_id IS NULL) <> (NEW.workflow_name IS NULL)
     OR (NEW.workflow_name IS NULL) <> (NEW.workflow_version IS NULL) THEN
    RAISE EXCEPTION 'a stakeholder event has no consultation and no workflow; every other event has both'
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.consultation_id IS NOT NULL THEN
    SELECT c.workflow_name, c.workflow_version, c.phase_since INTO home_workflow, home_version, phase_since
    FROM consultations c WHERE c.id = NEW.consultation_id;
    IF home_workflow IS DISTINCT FROM NEW.workflow_name OR home_version IS DISTINCT FROM NEW.workflow_version THEN
      RAISE EXCEPTION 'event recorded under workflow %@% but consultation % is on another version',
        NEW.workflow_name, NEW.workflow_version, NEW.consultation_id
        USING ERRCODE = 'serialization_failure';
    END IF;
  END IF;
  IF NEW.from_state IS NULL THEN
    NEW.prev_hash := NULL;
    IF NEW.entity_kind NOT IN ('consultation', 'stakeholder') THEN
      SELECT occurred_at INTO opened FROM events
      WHERE entity_kind = 'consultation' AND entity_id = NEW.consultation_id AND from_state IS NULL;
      IF opened IS NOT NULL AND NEW.occurred_at < opened THEN
        RAISE EXCEPTION 'the % would be created at %, before its consultation was opened (%)',
          NEW.entity_kind, to_char(NEW.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
          to_char(opened AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
          USING ERRCODE = 'datetime_field_overflow';
      END IF;
    END IF;
  ELSE
    IF NEW.entity_kind NOT IN ('consultation', 'stakeholder') AND NEW.occurred_at < phase_since THEN
      SELECT occurred_at, event INTO phase FROM events
      WHERE entity_kind = 'consultation' AND entity_id = NEW.consultation_id
        AND from_state IS DISTINCT FROM to_state
      ORDER BY id DESC LIMIT 1;
      RAISE EXCEPTION '''%'' at % is before the consultation''s latest change of phase ''%'' at %, the state its workflow''s conditions read; record events in the order they happened',
        NEW.event, to_char(NEW.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        phase.event, to_char(phase_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        USING ERRCODE = 'datetime_field_overflow';
    END IF;
    SELECT hash, occurred_at, event INTO previous FROM events
    WHERE entity_kind = NEW.entity_kind AND entity_id = NEW.entity_id AND id < NEW.id
    ORDER BY id DESC LIMIT 1;
    IF NOT FOUND THEN
      SELECT o.hash, o.occurred_at, o.event INTO previous FROM consult_chain_origin(NEW.entity_kind, NEW.entity_id) o;
    END IF;
    NEW.prev_hash := previous.hash;
    IF previous.occurred_at IS NOT NULL AND NEW.occurred_at < previous.occurred_at THEN
      RAISE EXCEPTION '''%'' at % is before the %''s previous event ''%'' at %; record events in the order they happened',
        NEW.event, to_char(NEW.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), NEW.entity_kind,
        previous.event, to_char(previous.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        USING ERRCODE = 'datetime_field_overflow';
    END IF;
  END IF;
  IF NEW.entity_kind = 'consultation' AND NEW.from_state IS DISTINCT FROM NEW.to_state THEN
    UPDATE consultations SET phase_since = NEW.occurred_at WHERE id = NEW.entity_id;
  END IF;
  NEW.hash := sha256(consult_event_canonical(
    NEW.id, NEW.consultation_id, NEW.entity_kind, NEW.entity_id, NEW.event, NEW.from_state, NEW.to_state,
    NEW.actor_id, NEW.reason, NEW.occurred_at, NEW.workflow_name, NEW.workflow_version, NEW.data,
    NEW.content_hash, NEW.prev_hash));
  RETURN NEW;
END;
$$;
