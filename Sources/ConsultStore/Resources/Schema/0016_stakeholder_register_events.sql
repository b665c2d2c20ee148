-- 0016_stakeholder_register_events: adding and editing a stakeholder is an event (issue 10 item
-- 1), in the same log and hash chain as every other change. Stakeholders belong to no single
-- consultation and have no workflow, so their events carry no consultation and no workflow: the
-- log's one exception, held by a CHECK. Such an event names its stakeholder by id only; its data
-- holds which fields changed and the new values of those that are not personal data (kind,
-- stakeholder group, organisation id), never a name, handle, e-mail address or role, so that the
-- append-only log never holds what erasure must remove (stakeholder and actor records are the one
-- place personal data lives). Persons created by an import are covered by the import's own event.
ALTER TABLE events
  ALTER COLUMN consultation_id DROP NOT NULL,
  ALTER COLUMN workflow_name DROP NOT NULL,
  ALTER COLUMN workflow_version DROP NOT NULL,
  ADD CONSTRAINT events_register_or_consultation CHECK (
    CASE WHEN entity_kind = 'stakeholder'
      THEN consultation_id IS NULL AND workflow_name IS NULL AND workflow_version IS NULL
      ELSE consultation_id IS NOT NULL AND workflow_name IS NOT NULL AND workflow_version IS NOT NULL
    END);

CREATE INDEX events_stakeholders ON events (entity_id, id) WHERE entity_kind = 'stakeholder';

-- The workflow-version check of 0008, for the events that have a workflow.
CREATE OR REPLACE FUNCTION events_current_workflow_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  stale record;
BEGIN
  SELECT n.workflow_name, n.workflow_version, n.consultation_id INTO stale
  FROM new_events n
  WHERE n.consultation_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM consultations c
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
