-- 0014_events_in_order: an entity's events are recorded in the order they happened (issue 9 item
-- 7: `--at` records the past, but not out of order). An event may not be dated before the
-- previous event of its entity; an event of a workshop, invitation, contribution or summary may
-- not be dated before its consultation's latest change of phase (the workflow's conditions read
-- that phase: "accepted on 1 July" after "comment period closed on 1 November" would pass a guard
-- the state of 1 July did not meet); and an entity may not be created before its consultation
-- was opened. Each is refused (SQLSTATE 22008, datetime_field_overflow) naming both times.
CREATE OR REPLACE FUNCTION events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  previous record;
  phase record;
  opened timestamptz;
BEGIN
  IF NEW.from_state IS NULL THEN
    NEW.prev_hash := NULL;
    IF NEW.entity_kind <> 'consultation' THEN
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
    IF NEW.entity_kind <> 'consultation' THEN
      SELECT occurred_at, event INTO phase FROM events
      WHERE entity_kind = 'consultation' AND entity_id = NEW.consultation_id
        AND from_state IS DISTINCT FROM to_state
      ORDER BY id DESC LIMIT 1;
      IF phase.occurred_at IS NOT NULL AND NEW.occurred_at < phase.occurred_at THEN
        RAISE EXCEPTION '''%'' at % is before the consultation''s latest change of phase ''%'' at %, the state its workflow''s conditions read; record events in the order they happened',
          NEW.event, to_char(NEW.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
          phase.event, to_char(phase.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
          USING ERRCODE = 'datetime_field_overflow';
      END IF;
    END IF;
    SELECT hash, occurred_at, event INTO previous FROM events
    WHERE entity_kind = NEW.entity_kind AND entity_id = NEW.entity_id AND id < NEW.id
    ORDER BY id DESC LIMIT 1;
    NEW.prev_hash := previous.hash;
    IF previous.occurred_at IS NOT NULL AND NEW.occurred_at < previous.occurred_at THEN
      RAISE EXCEPTION '''%'' at % is before the %''s previous event ''%'' at %; record events in the order they happened',
        NEW.event, to_char(NEW.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), NEW.entity_kind,
        previous.event, to_char(previous.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        USING ERRCODE = 'datetime_field_overflow';
    END IF;
  END IF;
  NEW.hash := consult_event_hash(NEW);
  RETURN NEW;
END;
$$;
