-- 0004_workflow_versions: a consultation is pinned to the exact workflow definition it runs on
-- (name, version and content hash), and moves to another version only by a logged migration
-- (issue 3, item 3).
--
-- * consultations.workflow_hash is the SHA-256 of the registered file; the composite foreign key
--   makes PostgreSQL itself refuse to change the content of a definition a consultation is
--   pinned to (the store refuses it first, with a message naming the consultations).
-- * An event is appended only for an existing consultation and under the workflow version it is on
--   now (a trigger, which replaces the events → consultations foreign key): a writer
--   that read the consultation before a concurrent `consult workflow migrate` committed gets a
--   serialization failure (SQLSTATE 40001, "conflict: try again") instead of logging a transition
--   of the old version after the migration.

ALTER TABLE workflow_definitions
  ADD CONSTRAINT workflow_definitions_exact UNIQUE (name, version, content_hash);

ALTER TABLE consultations ADD COLUMN workflow_hash text;
UPDATE consultations c SET workflow_hash = w.content_hash
FROM workflow_definitions w
WHERE w.name = c.workflow_name AND w.version = c.workflow_version;

-- Filled from the registered definition when an INSERT does not give it.
CREATE FUNCTION consultations_pin_workflow_hash() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.workflow_hash IS NULL THEN
    SELECT content_hash INTO NEW.workflow_hash
    FROM workflow_definitions WHERE name = NEW.workflow_name AND version = NEW.workflow_version;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER consultations_pin_workflow_hash BEFORE INSERT ON consultations
  FOR EACH ROW EXECUTE FUNCTION consultations_pin_workflow_hash();

ALTER TABLE consultations ALTER COLUMN workflow_hash SET NOT NULL;
ALTER TABLE consultations
  ADD CONSTRAINT consultations_workflow_exact FOREIGN KEY (workflow_name, workflow_version, workflow_hash)
  REFERENCES workflow_definitions (name, version, content_hash);

-- The trigger below checks that an event's consultation exists, on the event's workflow version;
-- it replaces the foreign key from events to consultations, whose check locked the one
-- consultation row (FOR KEY SHARE) in every transition of every writer: a MultiXact per event and
-- a hot row that cost a fifth of the throughput with 16 concurrent writers. Consultations are never
-- deleted; one with events cannot be (consultations_keep_logged).
ALTER TABLE events DROP CONSTRAINT events_consultation_id_fkey;

CREATE FUNCTION consultations_keep_logged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM events WHERE consultation_id = OLD.id) THEN
    RAISE EXCEPTION 'consultation % has events; the event log keeps it', OLD.id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN OLD;
END;
$$;
CREATE TRIGGER consultations_keep_logged BEFORE DELETE ON consultations
  FOR EACH ROW EXECUTE FUNCTION consultations_keep_logged();

CREATE FUNCTION events_current_workflow_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM consultations
                 WHERE id = NEW.consultation_id AND workflow_name = NEW.workflow_name
                   AND workflow_version = NEW.workflow_version) THEN
    RAISE EXCEPTION 'event recorded under workflow %@% but consultation % is on another version',
      NEW.workflow_name, NEW.workflow_version, NEW.consultation_id
      USING ERRCODE = 'serialization_failure';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER events_current_workflow_version BEFORE INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION events_current_workflow_version();
