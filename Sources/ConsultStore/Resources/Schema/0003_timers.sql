-- 0003_timers: consultation deadlines, read by workflow timers (`at: consultation.deadline`).
--
-- A timed transition (`after: P21D` or `at: FIELD` in a workflow file) is fired by
-- `consult tick`; nothing is scheduled in the database. The deadline is optional
-- (NULL: no deadline, so timers at it are never due) and can be moved at any time
-- (`consult deadline set`); setting it is not a state change and is not logged.
ALTER TABLE consultations ADD COLUMN deadline timestamptz;

-- Timers measured from an entity's last event read it with this index
-- (events_entity already covers (entity_kind, entity_id, id)); consultations
-- with a deadline are found by it.
CREATE INDEX consultations_deadline ON consultations (deadline) WHERE deadline IS NOT NULL;
