-- 0015_event_hash_plans: appending events faster. The same canonical form and hashes as 0012,
-- computed by PL/pgSQL functions, whose plans a session keeps, instead of SQL functions that were
-- not inlined (consult_field's argument is itself a call) and so were planned again in every
-- transaction that appended an event: about 150 µs per event, most of a transition's time. Every
-- hash stays the same: `consult log verify` recomputes the stored ones with these functions.
CREATE OR REPLACE FUNCTION consult_event_canonical(
  id bigint, consultation_id bigint, entity_kind text, entity_id bigint, event text, from_state text,
  to_state text, actor_id bigint, reason text, occurred_at timestamptz, workflow_name text,
  workflow_version text, data jsonb, content_hash bytea, prev_hash bytea
) RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
  -- One field as consult_field writes it, without calling it: a SQL function given an argument
  -- that is itself a call is not inlined, and then runs, planned anew, in every transaction.
  t text := to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
BEGIN
  RETURN convert_to(
    '15:consult-event-1;'
    || coalesce(octet_length(id::text) || ':' || id::text || ';', '-;')
    || coalesce(octet_length(consultation_id::text) || ':' || consultation_id::text || ';', '-;')
    || coalesce(octet_length(entity_kind) || ':' || entity_kind || ';', '-;')
    || coalesce(octet_length(entity_id::text) || ':' || entity_id::text || ';', '-;')
    || coalesce(octet_length(event) || ':' || event || ';', '-;')
    || coalesce(octet_length(from_state) || ':' || from_state || ';', '-;')
    || coalesce(octet_length(to_state) || ':' || to_state || ';', '-;')
    || coalesce(octet_length(actor_id::text) || ':' || actor_id::text || ';', '-;')
    || coalesce(octet_length(reason) || ':' || reason || ';', '-;')
    || coalesce(octet_length(t) || ':' || t || ';', '-;')
    || coalesce(octet_length(workflow_name) || ':' || workflow_name || ';', '-;')
    || coalesce(octet_length(workflow_version) || ':' || workflow_version || ';', '-;')
    || coalesce(octet_length(data::text) || ':' || data::text || ';', '-;')
    || coalesce(octet_length(encode(content_hash, 'hex')) || ':' || encode(content_hash, 'hex') || ';', '-;')
    || coalesce(octet_length(encode(prev_hash, 'hex')) || ':' || encode(prev_hash, 'hex') || ';', '-;'),
    'UTF8');
END;
$$;

CREATE OR REPLACE FUNCTION consult_event_hash(e events) RETURNS bytea
  LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  RETURN sha256(consult_event_canonical(
    e.id, e.consultation_id, e.entity_kind, e.entity_id, e.event, e.from_state, e.to_state, e.actor_id,
    e.reason, e.occurred_at, e.workflow_name, e.workflow_version, e.data, e.content_hash, e.prev_hash));
END;
$$;

-- The event log's foreign key to actors made every append take a KEY SHARE lock on its actor's row
-- (PostgreSQL docs §13.3.2), so that concurrent writers acting as one actor queued on that row and
-- created multixacts: transitions at 16 clients fell to a third of their rate. As 0004 did for the
-- consultations key, the rule is kept without the lock: consult_actor() resolves only existing
-- actors, and an actor row is never deleted (erasure blanks its name and sets erased_at).
ALTER TABLE events DROP CONSTRAINT events_actor_id_fkey;
CREATE TRIGGER actors_never_deleted BEFORE DELETE ON actors
  FOR EACH ROW EXECUTE FUNCTION consult_refuse_change();
CREATE TRIGGER actors_never_truncated BEFORE TRUNCATE ON actors
  FOR EACH STATEMENT EXECUTE FUNCTION consult_refuse_change();
