-- 0007_workshop_reschedules: a workshop's date can be moved. Moving it is not a
-- state change (the workflow's states and events stay as they are), so it is
-- not in the event log; this audit table records who moved it, when, from and
-- to which times. Calendar exports count these in SEQUENCE (RFC 5545 §3.8.7.4).
CREATE TABLE workshop_reschedules (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workshop_id    bigint NOT NULL REFERENCES workshops (id),
  old_starts_at  timestamptz NOT NULL,
  old_ends_at    timestamptz NOT NULL,
  old_time_zone  text NOT NULL,
  new_starts_at  timestamptz NOT NULL,
  new_ends_at    timestamptz NOT NULL,
  new_time_zone  text NOT NULL,
  actor          text NOT NULL,
  reason         text,
  recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX workshop_reschedules_workshop ON workshop_reschedules (workshop_id, id);
