-- 0013_roles: least privilege (issue 10). Four roles, created once per server (roles are
-- cluster-wide) and granted here for this database:
--   consult_owner   owns the schema's tables and functions; migrations run as it from now on;
--   consult_admin   erasure and workflow migration (a member of consult_editor);
--   consult_editor  what every everyday command runs as: reads everything, records and
--                   transitions, but may only INSERT into the event log and the append-only
--                   tables (no UPDATE, DELETE or TRUNCATE), owns nothing, so cannot disable or drop
--                   a trigger, and is no superuser, so cannot SET session_replication_role;
--   consult_reader  SELECT only.
-- None can log in; a server's administrator grants them to login roles
-- (`GRANT consult_editor TO alice`), and the embedded cluster lets consult_editor log in.
-- Several databases of one server may be migrated at once: a role another migration created
-- first, or a membership it granted first, is fine.
DO $$
DECLARE
  name text;
BEGIN
  FOREACH name IN ARRAY ARRAY['consult_owner', 'consult_reader', 'consult_editor', 'consult_admin'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', name);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END;
    END IF;
  END LOOP;
  IF NOT pg_has_role('consult_editor', 'consult_reader', 'MEMBER') THEN
    BEGIN
      GRANT consult_reader TO consult_editor;
    EXCEPTION WHEN unique_violation OR duplicate_object OR internal_error THEN NULL;
    END;
  END IF;
  IF NOT pg_has_role('consult_admin', 'consult_editor', 'MEMBER') THEN
    BEGIN
      GRANT consult_editor TO consult_admin;
    EXCEPTION WHEN unique_violation OR duplicate_object OR internal_error THEN NULL;
    END;
  END IF;
END;
$$;

-- The owner: every table, view and function of the schema that no extension owns.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO consult_owner',
                   CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, r.name);
  END LOOP;
  FOR r IN
    SELECT p.oid::regprocedure AS name FROM pg_proc p
    WHERE p.pronamespace = 'public'::regnamespace
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO consult_owner', r.name);
  END LOOP;
END;
$$;
GRANT USAGE, CREATE ON SCHEMA public TO consult_owner;

GRANT USAGE ON SCHEMA public TO consult_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO consult_reader;
GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO consult_editor;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO consult_editor;
-- Append-only by privilege as well as by trigger.
REVOKE UPDATE, DELETE ON events, contribution_revisions, proceedings_summary_revisions, workshop_reschedules,
  contribution_tags, imports FROM consult_editor;
-- The schema's own bookkeeping is the owner's.
REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM consult_editor;

-- Objects later migrations create (as consult_owner) get the same grants.
ALTER DEFAULT PRIVILEGES FOR ROLE consult_owner IN SCHEMA public GRANT SELECT ON TABLES TO consult_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE consult_owner IN SCHEMA public GRANT INSERT, UPDATE, DELETE ON TABLES TO consult_editor;
ALTER DEFAULT PRIVILEGES FOR ROLE consult_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO consult_editor;
