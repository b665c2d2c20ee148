-- 0050_erasure_survives_reimport: an erased person or organisation stays erased when the file they
-- came from is imported again.
--
-- An erasure (consult_forget_stakeholder, migration 0020) drops the stakeholder's source key and
-- match key, the keys an import recognises a person (stakeholders.source, source_key: the
-- consultation, the import's scope and the author or record id) or an organisation
-- (consult_match_key of its name) by; a re-import used to create them again, name and all. Now the
-- erasure keeps, in erased_import_keys, a one-way key of each (consult_erased_key: SHA-256 of a
-- domain tag and the key, never the key itself), and the import (Import.swift,
-- applyImportStaging) creates no stakeholder whose key is kept there and skips the records of
-- such a person or organisation that are not yet in the record.
--
-- The keys are kept by a trigger on stakeholders (the row's erased_at being set), so every path
-- that erases records them; the table is readable by consult_editor (the import) and written by
-- that trigger only. Persons erased before this migration whose records were keyed per record
-- (no author id) get their keys back from their contributions; the keys of persons keyed by an
-- author id and of organisations erased before are gone with the erasure and cannot be kept.

-- The one-way key of an import key: `kind` 'person' (`key`: the stakeholder's source and source
-- key, each a consult_field) or 'organisation' (`key`: its match key).
CREATE FUNCTION consult_erased_key(kind text, key text) RETURNS bytea
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sha256(convert_to('consult-erased-import-key-1;' || consult_field(kind) || consult_field(key), 'UTF8'))
$$;

CREATE TABLE erased_import_keys (
  key_hash   bytea PRIMARY KEY,          -- consult_erased_key(kind, key)
  kind       text NOT NULL CHECK (kind IN ('person', 'organisation')),
  erased_at  timestamptz NOT NULL DEFAULT now()
);
REVOKE SELECT ON erased_import_keys FROM consult_reader;
REVOKE INSERT, UPDATE, DELETE ON erased_import_keys FROM consult_editor;
GRANT SELECT ON erased_import_keys TO consult_editor;

-- Keeps the one-way keys of a stakeholder being erased (erased_at set): of a person, their source
-- and source key; of an organisation, its match key.
CREATE FUNCTION consult_keep_erased_import_keys() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF OLD.kind = 'person' AND OLD.source IS NOT NULL AND OLD.source_key IS NOT NULL THEN
    INSERT INTO erased_import_keys (key_hash, kind)
    VALUES (consult_erased_key('person', consult_field(OLD.source) || consult_field(OLD.source_key)), 'person')
    ON CONFLICT DO NOTHING;
  END IF;
  IF OLD.kind = 'organisation' AND OLD.match_key IS NOT NULL THEN
    INSERT INTO erased_import_keys (key_hash, kind)
    VALUES (consult_erased_key('organisation', OLD.match_key), 'organisation')
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN NEW;
END;
$$;
REVOKE EXECUTE ON FUNCTION consult_keep_erased_import_keys() FROM PUBLIC;
CREATE TRIGGER stakeholders_keep_erased_import_keys BEFORE UPDATE OF erased_at ON stakeholders
  FOR EACH ROW WHEN (OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL)
  EXECUTE FUNCTION consult_keep_erased_import_keys();

-- Persons erased before: an import keyed a person without an author id by the consultation, the
-- scope and the record id ('ID:SCOPE:record:SOURCE_ID', Import.swift), which their contributions
-- still hold.
INSERT INTO erased_import_keys (key_hash, kind, erased_at)
SELECT DISTINCT consult_erased_key('person', consult_field(s.source)
                                   || consult_field(k.consultation_id || ':' || k.source || ':record:' || k.source_id)),
       'person', s.erased_at
FROM stakeholders s JOIN contributions k ON k.stakeholder_id = s.id
WHERE s.kind = 'person' AND s.erased_at IS NOT NULL AND s.source IS NOT NULL
  AND k.source IS NOT NULL AND k.source_id IS NOT NULL
ON CONFLICT DO NOTHING;
