-- 0016_stakeholder_register_events: adding and editing a stakeholder is an event (issue 10 item
-- 1), in the same log and hash chain as every other change. Stakeholders belong to no single
-- consultation and have no workflow, so their events carry no consultation and no workflow: the
-- log's one exception. Such an event names its stakeholder by id only; its data
-- holds which fields changed and the new values of those that are not personal data (kind,
-- stakeholder group, organisation id), never a name, handle, e-mail address or role, so that the
-- append-only log never holds what erasure must remove (stakeholder and actor records are the one
-- place personal data lives). Persons created by an import are pinned by the creation events of
-- their contributions, whose content hash covers the author's id.
-- The rule (a stakeholder event has no consultation and no workflow; every other event has both)
-- is enforced by the events_chain trigger (migration 0017), not by a CHECK constraint: PostgreSQL
-- re-reads a table's CHECK expressions from the catalog in every INSERT, a cost every transition
-- pays.
ALTER TABLE events
  ALTER COLUMN consultation_id DROP NOT NULL,
  ALTER COLUMN workflow_name DROP NOT NULL,
  ALTER COLUMN workflow_version DROP NOT NULL;

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

-- The stakeholder register's digest, like a consultation's record digest (0012): the SHA-256 of
-- the heads of every stakeholder's chain as of an event id, one line 'stakeholder:ID:EVENT:HASH'
-- per stakeholder, sorted by id, prefixed by 'consult-register-digest-1'. NULL cutoff: all.
CREATE FUNCTION consult_register_digest(cutoff bigint) RETURNS bytea
  LANGUAGE sql STABLE AS $$
  SELECT sha256(convert_to('consult-register-digest-1' || coalesce(string_agg(line, '' ORDER BY entity_id), ''),
                           'UTF8'))
  FROM (
    SELECT DISTINCT ON (entity_id) entity_id,
           E'\n' || 'stakeholder:' || entity_id || ':' || id || ':' || encode(hash, 'hex') AS line
    FROM events
    WHERE entity_kind = 'stakeholder' AND (cutoff IS NULL OR id <= cutoff)
    ORDER BY entity_id, id DESC
  ) heads
$$;
