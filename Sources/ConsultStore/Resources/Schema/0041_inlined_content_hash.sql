-- 0041_inlined_content_hash: a contribution's content hash, the same bytes, 18 times cheaper.
--
-- 0012's consult_contribution_content calls consult_field three times with arguments that are
-- expressions; PostgreSQL does not inline a SQL function called that way, so every call ran the
-- SQL-function executor: 2.0 s per 100,000 imported rows (FCC-shaped docket, 450 bytes a text),
-- against 0.11 s for the same expression written out (measured in one psql session). Here
-- consult_field is written out, as consult_field defines it (0012: a value as its UTF-8 byte
-- length in decimal, ':', the value, ';'; NULL as '-;'), so the function is itself inlined into
-- the statement that calls it. The canonical form and every hash stay exactly as 0012 documents
-- them (a test compares this function with 0012's composition of consult_field calls); it remains
-- the one place a contribution's content hash is computed.
CREATE OR REPLACE FUNCTION consult_contribution_content(body text, attribution text, stakeholder_id bigint)
  RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sha256(convert_to('consult-contribution-1;'
    || CASE WHEN body IS NULL THEN '-;' ELSE octet_length(body) || ':' || body || ';' END
    || CASE WHEN attribution IS NULL THEN '-;' ELSE octet_length(attribution) || ':' || attribution || ';' END
    || CASE WHEN stakeholder_id IS NULL THEN '-;'
            ELSE octet_length(stakeholder_id::text) || ':' || stakeholder_id::text || ';' END, 'UTF8'))
$$;
