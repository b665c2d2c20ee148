-- 0042_import_statistics: an all-or-nothing import keeps the planner's statistics true (issue 13).
--
-- Inside the import's one transaction, autovacuum cannot see the rows it adds, so the statistics of
-- contributions and stakeholders go on saying what was there before: for each batch the planner
-- then hashed every row the import had added so far to find the records imported before, and the
-- time grew with the square of the file's size (1,000,000 rows took 20.9 times as long as 100,000).
-- ANALYZE samples the rows its own transaction inserted (PostgreSQL docs, ANALYZE), but only a
-- table's owner may run it; this function, owned by consult_owner, runs it for the import, which
-- calls it each time the rows it added have doubled since the last call (so a linear number of
-- sampled rows in all).
CREATE FUNCTION consult_analyze_import_tables() RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  ANALYZE contributions;
  ANALYZE stakeholders;
END;
$$;
REVOKE EXECUTE ON FUNCTION consult_analyze_import_tables() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION consult_analyze_import_tables() TO consult_editor;
