-- 0011_consultation_summaries: a consultation has a summary of its own (issue 9 item 8), beside
-- its workshops' proceedings summaries: for a docket of written comments, the report on the
-- comments. It is a proceedings summary without a workshop, at most one per consultation, and
-- moves through the same `proceedings-summary` machine of the consultation's workflow.
ALTER TABLE proceedings_summaries ALTER COLUMN workshop_id DROP NOT NULL;
CREATE UNIQUE INDEX proceedings_summaries_one_per_consultation
  ON proceedings_summaries (consultation_id) WHERE workshop_id IS NULL;
