-- 0012_record_integrity: actors by reference and a hash-chained event log (issue 10).
--
-- Actors. Whoever records something is an actor: a handle ([a-z0-9][a-z0-9._-]*, never an e-mail
-- address or a name with spaces) and a display name that can be erased later. The event log and
-- every side table refer to actors by id; the hashes cover the id, never the name.
--
-- Hash chain. Every event carries
--   content_hash  SHA-256 of the data the event creates or changes, for the events that do:
--                 a contribution's creation or text revision (consult_contribution_content), a
--                 summary's creation or text revision (consult_summary_content); else NULL;
--   prev_hash     the hash of the previous event of the same entity (its chain), NULL for the
--                 first;
--   hash          SHA-256 of the event's canonical form (consult_event_canonical).
-- One chain per entity (kind, id): writers of different entities never wait for each other, and
-- an entity's appends are already serialised by the compare-and-set on its row. A consultation's
-- record digest (consult_record_digest) is the SHA-256 of its chain heads.
--
-- The canonical form (version 1) is the concatenation, in this order, of one length-prefixed
-- field per column: for a value, its UTF-8 byte length in decimal, ':', the bytes, ';'; for NULL,
-- '-;'. The fields: 'consult-event-1', id, consultation_id, entity_kind, entity_id, event,
-- from_state, to_state, actor_id, reason, occurred_at as 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (UTC),
-- workflow_name, workflow_version, data as jsonb text, content_hash and prev_hash as lower-case
-- hex. Numbers are decimal. Every hash is computed here, in SQL, and nowhere else; `consult log
-- verify` recomputes them with these functions.

-- Actors ----------------------------------------------------------------------------------------
CREATE TABLE actors (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  handle      text NOT NULL UNIQUE CHECK (handle ~ '^[a-z0-9][a-z0-9._-]*$' AND length(handle) <= 64),
  name        text,                              -- display name; personal data, erasable
  created_at  timestamptz NOT NULL DEFAULT now(),
  erased_at   timestamptz
);

-- Every actor text recorded so far becomes an actor: a valid handle stays one; anything else (a
-- name, an e-mail address) gets a generated handle and is kept only as the display name.
CREATE TEMPORARY TABLE legacy_actors ON COMMIT DROP AS
SELECT DISTINCT actor AS text FROM (
  SELECT actor FROM events UNION SELECT actor FROM imports UNION SELECT actor FROM import_batches
  UNION SELECT actor FROM contribution_tags UNION SELECT actor FROM workshop_reschedules
  UNION SELECT replaced_by FROM contribution_revisions UNION SELECT replaced_by FROM proceedings_summary_revisions
) a(actor);
INSERT INTO actors (handle, name)
SELECT CASE WHEN text ~ '^[a-z0-9][a-z0-9._-]*$' AND length(text) <= 64 THEN text
            ELSE 'actor-' || substr(md5(text), 1, 12) END,
       CASE WHEN text ~ '^[a-z0-9][a-z0-9._-]*$' AND length(text) <= 64 THEN NULL ELSE text END
FROM legacy_actors ORDER BY 1
ON CONFLICT (handle) DO NOTHING;
CREATE TEMPORARY TABLE legacy_actor_ids ON COMMIT DROP AS
SELECT l.text, a.id FROM legacy_actors l JOIN actors a
  ON a.handle = CASE WHEN l.text ~ '^[a-z0-9][a-z0-9._-]*$' AND length(l.text) <= 64 THEN l.text
                     ELSE 'actor-' || substr(md5(l.text), 1, 12) END;

-- The append-only tables are rewritten once, here, by the schema owner.
ALTER TABLE events DISABLE TRIGGER events_append_only;
ALTER TABLE contribution_tags DISABLE TRIGGER contribution_tags_append_only;
ALTER TABLE workshop_reschedules DISABLE TRIGGER workshop_reschedules_append_only;
ALTER TABLE contribution_revisions DISABLE TRIGGER contribution_revisions_append_only;
ALTER TABLE proceedings_summary_revisions DISABLE TRIGGER proceedings_summary_revisions_append_only;

ALTER TABLE events ADD COLUMN actor_id bigint REFERENCES actors (id);
UPDATE events e SET actor_id = l.id FROM legacy_actor_ids l WHERE l.text = e.actor;
ALTER TABLE events ALTER COLUMN actor_id SET NOT NULL, DROP COLUMN actor;

ALTER TABLE imports ADD COLUMN actor_id bigint REFERENCES actors (id);
UPDATE imports t SET actor_id = l.id FROM legacy_actor_ids l WHERE l.text = t.actor;
ALTER TABLE imports ALTER COLUMN actor_id SET NOT NULL, DROP COLUMN actor;

ALTER TABLE import_batches ADD COLUMN actor_id bigint REFERENCES actors (id);
UPDATE import_batches t SET actor_id = l.id FROM legacy_actor_ids l WHERE l.text = t.actor;
ALTER TABLE import_batches ALTER COLUMN actor_id SET NOT NULL, DROP COLUMN actor;

ALTER TABLE contribution_tags ADD COLUMN actor_id bigint REFERENCES actors (id);
UPDATE contribution_tags t SET actor_id = l.id FROM legacy_actor_ids l WHERE l.text = t.actor;
ALTER TABLE contribution_tags ALTER COLUMN actor_id SET NOT NULL, DROP COLUMN actor;

ALTER TABLE workshop_reschedules ADD COLUMN actor_id bigint REFERENCES actors (id);
UPDATE workshop_reschedules t SET actor_id = l.id FROM legacy_actor_ids l WHERE l.text = t.actor;
ALTER TABLE workshop_reschedules ALTER COLUMN actor_id SET NOT NULL, DROP COLUMN actor;

ALTER TABLE contribution_revisions ADD COLUMN replaced_by_id bigint REFERENCES actors (id);
UPDATE contribution_revisions t SET replaced_by_id = l.id FROM legacy_actor_ids l WHERE l.text = t.replaced_by;
ALTER TABLE contribution_revisions ALTER COLUMN replaced_by_id SET NOT NULL, DROP COLUMN replaced_by;

ALTER TABLE proceedings_summary_revisions ADD COLUMN replaced_by_id bigint REFERENCES actors (id);
UPDATE proceedings_summary_revisions t SET replaced_by_id = l.id FROM legacy_actor_ids l
WHERE l.text = t.replaced_by;
ALTER TABLE proceedings_summary_revisions ALTER COLUMN replaced_by_id SET NOT NULL, DROP COLUMN replaced_by;

-- Hashes ----------------------------------------------------------------------------------------
ALTER TABLE events ADD COLUMN content_hash bytea, ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea;

-- One length-prefixed field of the canonical form.
CREATE FUNCTION consult_field(value text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN value IS NULL THEN '-;' ELSE octet_length(value) || ':' || value || ';' END
$$;

-- The content of a contribution that its creation or revision event pins.
CREATE FUNCTION consult_contribution_content(body text, attribution text, stakeholder_id bigint) RETURNS bytea
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sha256(convert_to('consult-contribution-1;' || consult_field(body) || consult_field(attribution)
                           || consult_field(stakeholder_id::text), 'UTF8'))
$$;

-- The content of a summary revision that its creation or revision event pins.
CREATE FUNCTION consult_summary_content(title text, body text) RETURNS bytea
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sha256(convert_to('consult-summary-1;' || consult_field(title) || consult_field(body), 'UTF8'))
$$;

-- The canonical form of an event (see the header).
CREATE FUNCTION consult_event_canonical(
  id bigint, consultation_id bigint, entity_kind text, entity_id bigint, event text, from_state text,
  to_state text, actor_id bigint, reason text, occurred_at timestamptz, workflow_name text,
  workflow_version text, data jsonb, content_hash bytea, prev_hash bytea
) RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT convert_to(
    consult_field('consult-event-1') || consult_field(id::text) || consult_field(consultation_id::text)
    || consult_field(entity_kind) || consult_field(entity_id::text) || consult_field(event)
    || consult_field(from_state) || consult_field(to_state) || consult_field(actor_id::text)
    || consult_field(reason)
    || consult_field(to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
    || consult_field(workflow_name) || consult_field(workflow_version) || consult_field(data::text)
    || consult_field(encode(content_hash, 'hex')) || consult_field(encode(prev_hash, 'hex')), 'UTF8')
$$;

CREATE FUNCTION consult_event_hash(e events) RETURNS bytea
  LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT sha256(consult_event_canonical(
    e.id, e.consultation_id, e.entity_kind, e.entity_id, e.event, e.from_state, e.to_state, e.actor_id,
    e.reason, e.occurred_at, e.workflow_name, e.workflow_version, e.data, e.content_hash, e.prev_hash))
$$;

-- Chains the new event to its entity's latest one and hashes it. The previous event is read with
-- a fresh snapshot (a VOLATILE function), after the writer's compare-and-set on the entity's row
-- has serialised the appends of that entity; a creation event starts its chain.
CREATE FUNCTION events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.from_state IS NULL THEN
    NEW.prev_hash := NULL;
  ELSE
    SELECT hash INTO NEW.prev_hash FROM events
    WHERE entity_kind = NEW.entity_kind AND entity_id = NEW.entity_id AND id < NEW.id
    ORDER BY id DESC LIMIT 1;
  END IF;
  NEW.hash := consult_event_hash(NEW);
  RETURN NEW;
END;
$$;

-- Existing events: chained and hashed in id order; the latest content event of each contribution
-- and summary pins its current content (earlier revisions were not kept before 0010).
UPDATE events e SET content_hash = consult_contribution_content(k.text, k.attribution, k.stakeholder_id)
FROM contributions k
WHERE e.entity_kind = 'contribution' AND e.entity_id = k.id
  AND e.id = (SELECT max(x.id) FROM events x WHERE x.entity_kind = 'contribution' AND x.entity_id = k.id
              AND (x.from_state IS NULL OR x.event = 'revise-text'));
UPDATE events e SET content_hash = consult_summary_content(p.title, p.body)
FROM proceedings_summaries p
WHERE e.entity_kind = 'proceedings-summary' AND e.entity_id = p.id
  AND e.id = (SELECT max(x.id) FROM events x WHERE x.entity_kind = 'proceedings-summary' AND x.entity_id = p.id
              AND (x.from_state IS NULL OR x.event = 'revise-text'));
DO $$
DECLARE
  r events;
  previous bytea;
  last_kind text := '';
  last_id bigint := 0;
BEGIN
  FOR r IN SELECT * FROM events ORDER BY entity_kind, entity_id, id LOOP
    IF r.entity_kind <> last_kind OR r.entity_id <> last_id THEN
      previous := NULL;
      last_kind := r.entity_kind;
      last_id := r.entity_id;
    END IF;
    r.prev_hash := CASE WHEN r.from_state IS NULL THEN NULL ELSE previous END;
    r.hash := consult_event_hash(r);
    UPDATE events SET prev_hash = r.prev_hash, hash = r.hash WHERE id = r.id;
    previous := r.hash;
  END LOOP;
END;
$$;
ALTER TABLE events ALTER COLUMN hash SET NOT NULL;
CREATE TRIGGER events_chain BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_chain();

ALTER TABLE events ENABLE TRIGGER events_append_only;
ALTER TABLE contribution_tags ENABLE TRIGGER contribution_tags_append_only;
ALTER TABLE workshop_reschedules ENABLE TRIGGER workshop_reschedules_append_only;
ALTER TABLE contribution_revisions ENABLE TRIGGER contribution_revisions_append_only;
ALTER TABLE proceedings_summary_revisions ENABLE TRIGGER proceedings_summary_revisions_append_only;

-- The record digest of a consultation as of event `cutoff`: SHA-256 over its chain heads (each
-- entity's latest event with id <= cutoff), one line 'kind:id:event id:hash hex' per entity,
-- sorted by kind and id, joined by newlines, prefixed by 'consult-digest-1'. NULL cutoff: all.
CREATE FUNCTION consult_record_digest(consultation bigint, cutoff bigint) RETURNS bytea
  LANGUAGE sql STABLE AS $$
  SELECT sha256(convert_to('consult-digest-1' || coalesce(string_agg(line, '' ORDER BY entity_kind, entity_id), ''),
                           'UTF8'))
  FROM (
    SELECT DISTINCT ON (entity_kind, entity_id) entity_kind, entity_id,
           E'\n' || entity_kind || ':' || entity_id || ':' || id || ':' || encode(hash, 'hex') AS line
    FROM events
    WHERE consultation_id = consultation AND (cutoff IS NULL OR id <= cutoff)
    ORDER BY entity_kind, entity_id, id DESC
  ) heads
$$;

-- The id of the actor with `handle`. Actors are registered explicitly (`consult actor add`, or
-- the CLI's default actor, in a transaction of their own), never as a side effect of a write: an
-- unknown handle is refused (SQLSTATE 23503, message 'unknown actor ...'). Writers call it once
-- per statement, e.g. `WITH who AS (SELECT consult_actor($1) AS id)`.
CREATE FUNCTION consult_actor(actor_handle text) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
DECLARE
  found bigint;
BEGIN
  SELECT id INTO found FROM actors WHERE handle = actor_handle AND erased_at IS NULL;
  IF found IS NULL THEN
    RAISE EXCEPTION 'unknown actor ''%''', actor_handle USING ERRCODE = 'foreign_key_violation',
      HINT = 'register it first: consult actor add HANDLE --name NAME';
  END IF;
  RETURN found;
END;
$$;

-- The actor that fires timers (`consult tick`).
INSERT INTO actors (handle, name) VALUES ('timer', 'consult tick (timers)') ON CONFLICT (handle) DO NOTHING;
