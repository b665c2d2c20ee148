-- 0010_record_events: every change a command records is an event in the log (issue 9 item 7,
-- issue 10 item 1), not only state changes.
--
-- A record event (`ConsultCore.RecordEvent`) changes an entity's data, not its state: it is logged
-- with `from_state = to_state`, and `data` holds what is needed to reconstruct the change as a JSON
-- object (for example a reschedule's old and new times). Its `occurred_at` is when the change
-- happened (`--at` records the past). The side tables below stay as read models.
ALTER TABLE events ADD COLUMN data jsonb CHECK (data IS NULL OR jsonb_typeof(data) = 'object');

-- A proceedings summary's earlier texts: revision N's title and body, kept when revision N + 1
-- replaced them (`consult summary edit`), each with a 'revise-text' event on the summary.
CREATE TABLE proceedings_summary_revisions (
  summary_id   bigint NOT NULL REFERENCES proceedings_summaries (id),
  revision     integer NOT NULL CHECK (revision >= 1),
  title        text NOT NULL,
  body         text NOT NULL,
  replaced_at  timestamptz NOT NULL,
  replaced_by  text NOT NULL,
  PRIMARY KEY (summary_id, revision)
);

CREATE FUNCTION consult_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER proceedings_summary_revisions_append_only BEFORE UPDATE OR DELETE
  ON proceedings_summary_revisions FOR EACH ROW EXECUTE FUNCTION consult_refuse_change();
-- The side tables of recorded changes are append-only as well.
CREATE TRIGGER workshop_reschedules_append_only BEFORE UPDATE OR DELETE
  ON workshop_reschedules FOR EACH ROW EXECUTE FUNCTION consult_refuse_change();
CREATE TRIGGER contribution_tags_append_only BEFORE UPDATE OR DELETE
  ON contribution_tags FOR EACH ROW EXECUTE FUNCTION consult_refuse_change();
