-- 0001_initial: consultations, stakeholders, workshops, invitations, attendance,
-- contributions, proceedings summaries and the append-only event log.
--
-- Conventions
-- * Every entity that moves through a workflow has `state` (a state name from
--   the consultation's workflow file) and `version`, a counter bumped on every
--   transition; writers compare-and-set on it so a concurrent change is
--   detected, never overwritten.
-- * Personal data (names, contact details) lives only in `stakeholders`.
--   Everything else refers to stakeholder ids, so erasing a person rewrites
--   one row and no history.
-- * Times are `timestamptz` (stored as UTC, microsecond precision); the
--   workshop's IANA time zone is kept beside its times for display.

CREATE TABLE workflow_definitions (
  name          text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9-]*$'),
  version       text NOT NULL CHECK (version <> ''),
  content_hash  text NOT NULL,                 -- SHA-256 (hex) of the file's bytes
  source        text NOT NULL,                 -- the file as registered
  registered_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);

CREATE TABLE stakeholder_groups (
  key      text PRIMARY KEY CHECK (key ~ '^[a-z0-9][a-z0-9-]*$'),
  name     text NOT NULL,
  position integer NOT NULL
);

INSERT INTO stakeholder_groups (key, name, position) VALUES
  ('parliament',              'Parliament',                                   1),
  ('ministries',              'Ministries and government agencies',           2),
  ('academia',                'Academia',                                     3),
  ('think-tanks',             'Think tanks',                                  4),
  ('international-partners',  'International partners and institutions',      5),
  ('industry-associations',   'Industry and industry associations',           6),
  ('civil-society',           'Civil society organisations',                  7),
  ('public',                  'Members of the public',                        8);

CREATE TABLE stakeholders (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  handle           text UNIQUE CHECK (handle ~ '^[a-z0-9][a-z0-9._-]*$'),
  kind             text NOT NULL CHECK (kind IN ('person', 'organisation')),
  name             text NOT NULL,              -- personal data for persons
  email            text,                       -- personal data
  role             text,                       -- e.g. 'President'
  stakeholder_group text REFERENCES stakeholder_groups (key),
  organisation_id  bigint REFERENCES stakeholders (id),
  -- organisations written differently (case, spacing, trailing punctuation)
  -- resolve to one row through this key; persons are never merged by name.
  match_key        text,
  source           text,                       -- e.g. 'regulations-gov'
  source_key       text,                       -- the source's own reference
  erased_at        timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (kind = 'person' OR organisation_id IS NULL),
  UNIQUE (source, source_key)
);
CREATE UNIQUE INDEX stakeholders_organisation_match
  ON stakeholders (match_key) WHERE kind = 'organisation' AND match_key IS NOT NULL;

CREATE TABLE consultations (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
  title            text NOT NULL CHECK (title <> ''),
  owner            text,
  workflow_name    text NOT NULL,
  workflow_version text NOT NULL,
  state            text NOT NULL,
  version          integer NOT NULL DEFAULT 1,
  opened_at        timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (workflow_name, workflow_version) REFERENCES workflow_definitions (name, version)
);

CREATE TABLE themes (
  consultation_id bigint NOT NULL REFERENCES consultations (id),
  key             text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9-]*$'),
  title           text NOT NULL,
  position        integer NOT NULL,
  PRIMARY KEY (consultation_id, key)
);

CREATE TABLE workshops (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consultation_id bigint NOT NULL REFERENCES consultations (id),
  key             text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9-]*$'),
  title           text NOT NULL CHECK (title <> ''),
  venue           text,
  starts_at       timestamptz NOT NULL,
  ends_at         timestamptz NOT NULL,
  time_zone       text NOT NULL,               -- IANA zone, e.g. 'Europe/Berlin'
  chatham_house   boolean NOT NULL DEFAULT false,
  state           text NOT NULL,
  version         integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (consultation_id, key),
  CHECK (ends_at >= starts_at)
);

CREATE TABLE workshop_hosts (
  workshop_id    bigint NOT NULL REFERENCES workshops (id),
  stakeholder_id bigint NOT NULL REFERENCES stakeholders (id),
  position       integer NOT NULL,
  PRIMARY KEY (workshop_id, stakeholder_id)
);

CREATE TABLE invitations (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consultation_id bigint NOT NULL REFERENCES consultations (id),
  workshop_id     bigint REFERENCES workshops (id),
  stakeholder_id  bigint NOT NULL REFERENCES stakeholders (id),
  state           text NOT NULL,
  version         integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX invitations_once
  ON invitations (consultation_id, coalesce(workshop_id, 0), stakeholder_id);

CREATE TABLE attendance (
  workshop_id    bigint NOT NULL REFERENCES workshops (id),
  stakeholder_id bigint NOT NULL REFERENCES stakeholders (id),
  invitation_id  bigint REFERENCES invitations (id),
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workshop_id, stakeholder_id)
);

CREATE TABLE contributions (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consultation_id bigint NOT NULL REFERENCES consultations (id),
  workshop_id     bigint REFERENCES workshops (id),
  kind            text NOT NULL CHECK (kind IN ('oral-statement', 'written-submission')),
  text            text NOT NULL CHECK (text <> ''),
  theme           text,
  language        text,
  stakeholder_id  bigint REFERENCES stakeholders (id),   -- who contributed
  organisation_id bigint REFERENCES stakeholders (id),   -- on whose behalf
  -- consent level given by the contributor; exporters apply the stricter of
  -- this and the workshop's rule (Chatham House Rule).
  attribution     text NOT NULL DEFAULT 'named'
                  CHECK (attribution IN ('named', 'organisation', 'stakeholder-group', 'not-for-publication')),
  source          text NOT NULL DEFAULT 'manual',
  source_id       text,
  title           text,
  received_at     timestamptz NOT NULL,
  posted_at       timestamptz,
  state           text NOT NULL,
  version         integer NOT NULL DEFAULT 1,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (consultation_id, source, source_id),
  FOREIGN KEY (consultation_id, theme) REFERENCES themes (consultation_id, key),
  CHECK (kind = 'written-submission' OR workshop_id IS NOT NULL)
);
CREATE INDEX contributions_consultation ON contributions (consultation_id, theme);

CREATE TABLE proceedings_summaries (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consultation_id bigint NOT NULL REFERENCES consultations (id),
  workshop_id     bigint NOT NULL UNIQUE REFERENCES workshops (id),
  title           text NOT NULL,
  body            text NOT NULL DEFAULT '',
  revision        integer NOT NULL DEFAULT 1,
  state           text NOT NULL,
  version         integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- The event log: one row per state change of any entity, never updated or
-- deleted (enforced below). Replaying it gives every entity's state.
CREATE TABLE events (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consultation_id  bigint NOT NULL REFERENCES consultations (id),
  entity_kind      text NOT NULL,
  entity_id        bigint NOT NULL,
  event            text NOT NULL,
  from_state       text,                        -- NULL when the entity is created
  to_state         text NOT NULL,
  actor            text NOT NULL,
  reason           text,
  occurred_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  workflow_name    text NOT NULL,
  workflow_version text NOT NULL
);
CREATE INDEX events_entity ON events (entity_kind, entity_id, id);
CREATE INDEX events_consultation ON events (consultation_id, id);

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the event log is append-only (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- Records of imports, so a re-run of the same file can say what it added.
CREATE TABLE imports (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consultation_id bigint NOT NULL REFERENCES consultations (id),
  format          text NOT NULL,
  file_name       text NOT NULL,
  rows_read       integer NOT NULL,
  rows_added      integer NOT NULL,
  actor           text NOT NULL,
  imported_at     timestamptz NOT NULL DEFAULT now()
);

-- The key under which organisation names written differently resolve to one
-- stakeholder: Unicode NFKC, lower case, inner whitespace collapsed, leading
-- and trailing spaces and punctuation removed ("Glenn's Market & Catering,"
-- and "glenn's market  & catering" share one key).
CREATE FUNCTION consult_match_key(name text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT nullif(
    regexp_replace(
      regexp_replace(lower(normalize(name, NFKC)), '\s+', ' ', 'g'),
      '^[[:space:][:punct:]]+|[[:space:][:punct:]]+$', '', 'g'),
    '')
$$;
