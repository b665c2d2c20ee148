-- 0002_campaigns_and_search: campaign fingerprints, near-duplicate support,
-- full-text search and the theme-tagging audit trail (issue 4, items 5 and 7).
--
-- Requires PostgreSQL 13 or later (normalize(), trusted pg_trgm).

-- pg_trgm (PostgreSQL docs Appendix F.35) provides similarity() and the `%`
-- operator used to group near-duplicate texts. It ships with PostgreSQL
-- (Debian: the `postgresql` package pulls in postgresql-contrib) and is a
-- "trusted" extension since PostgreSQL 13, so a database owner with CREATE
-- privilege may install it; a managed server must have it on its allow-list.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The text a campaign is recognised by. In order:
--   1. Unicode NFKC (PostgreSQL docs §9.4, normalize()), then lower case;
--   2. the HTML entities regulations.gov leaves in texts decoded
--      (&quot; &#39; &apos; &lt; &gt; &nbsp;, then &amp; last so that
--      "&amp;lt;" stays "&lt;");
--   3. a trailing boilerplate line removed: a last line starting with "Re:"
--      (regulations.gov appends "Re: Supplemental Nutrition Assistance
--      Program: …" to every comment moved from another docket); only when
--      another line precedes it, so a text that is just a "Re:" line stays;
--   4. punctuation removed: [[:punct:]] plus common Unicode quotes, dashes,
--      ellipsis and guillemets listed explicitly (under a "C" collation the
--      class [[:punct:]] holds ASCII only);
--   5. whitespace collapsed to single spaces and trimmed.
-- IMMUTABLE as far as the database's collation is fixed (lower() and the
-- character classes follow it).
CREATE FUNCTION consult_normalise_text(body text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT btrim(
    regexp_replace(
      regexp_replace(
        regexp_replace(
          replace(replace(replace(replace(replace(replace(replace(
            lower(normalize(body, NFKC)),
            '&quot;', '"'), '&#39;', ''''), '&apos;', ''''), '&lt;', '<'), '&gt;', '>'), '&nbsp;', ' '),
            '&amp;', '&'),
          '[\r\n][[:space:]]*re:[^\r\n]*[[:space:]]*$', ''),
        '[[:punct:]‘’‚‛“”„‟–—―…«»‹›¡¿·•′″]+', '', 'g'),
      '[[:space:]]+', ' ', 'g'))
$$;

-- The campaign fingerprint: md5 of the normalised text, or NULL when nothing
-- is left or the text is only an attachment placeholder ("See attached
-- file(s)", "Please write your comment here"): such texts say nothing
-- themselves and are never counted as one campaign.
CREATE FUNCTION consult_text_fingerprint(body text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE
    WHEN n = '' THEN NULL
    WHEN n ~ '^(please )?(see|refer to) (the )?(attached|attachments?|enclosed)( (files?|documents?|comments?|letters?|pdf))?$'
      THEN NULL
    WHEN n = 'please write your comment here' THEN NULL
    ELSE md5(n)
  END
  FROM (SELECT consult_normalise_text(body) AS n) AS normalised
$$;

ALTER TABLE contributions
  ADD COLUMN fingerprint text GENERATED ALWAYS AS (consult_text_fingerprint(text)) STORED;
CREATE INDEX contributions_fingerprint ON contributions (consultation_id, fingerprint);

-- The text-search configuration (PostgreSQL docs §12.1.3, §12.6) for a
-- contribution's language tag (BCP 47; only the primary subtag counts, so
-- `de-AT` is german): the Snowball configurations shipped since PostgreSQL 13,
-- else `simple` (no stemming, no stop words). An IMMUTABLE CASE over regconfig
-- literals, so a generated column may use it; search queries use the same
-- function, so a query is stemmed as the text it is matched against.
CREATE FUNCTION consult_text_search_config(language text) RETURNS regconfig
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE lower(substring(language FROM '^[A-Za-z]+'))
    WHEN 'ar' THEN 'arabic'::regconfig
    WHEN 'da' THEN 'danish'::regconfig
    WHEN 'de' THEN 'german'::regconfig
    WHEN 'el' THEN 'greek'::regconfig
    WHEN 'en' THEN 'english'::regconfig
    WHEN 'es' THEN 'spanish'::regconfig
    WHEN 'fi' THEN 'finnish'::regconfig
    WHEN 'fr' THEN 'french'::regconfig
    WHEN 'ga' THEN 'irish'::regconfig
    WHEN 'hu' THEN 'hungarian'::regconfig
    WHEN 'id' THEN 'indonesian'::regconfig
    WHEN 'it' THEN 'italian'::regconfig
    WHEN 'lt' THEN 'lithuanian'::regconfig
    WHEN 'nb' THEN 'norwegian'::regconfig
    WHEN 'ne' THEN 'nepali'::regconfig
    WHEN 'nl' THEN 'dutch'::regconfig
    WHEN 'nn' THEN 'norwegian'::regconfig
    WHEN 'no' THEN 'norwegian'::regconfig
    WHEN 'pt' THEN 'portuguese'::regconfig
    WHEN 'ro' THEN 'romanian'::regconfig
    WHEN 'ru' THEN 'russian'::regconfig
    WHEN 'sr' THEN 'serbian'::regconfig
    WHEN 'sv' THEN 'swedish'::regconfig
    WHEN 'ta' THEN 'tamil'::regconfig
    WHEN 'tr' THEN 'turkish'::regconfig
    ELSE 'simple'::regconfig
  END
$$;

ALTER TABLE contributions
  ADD COLUMN search_vector tsvector
  GENERATED ALWAYS AS (to_tsvector(consult_text_search_config(language), text)) STORED;
CREATE INDEX contributions_search ON contributions USING gin (search_vector);

-- Theme tagging from a search is not a workflow transition, so it is not in
-- the event log; each change of a contribution's theme made by
-- `consult contributions tag` is recorded here (append-only by convention).
CREATE TABLE contribution_tags (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consultation_id bigint NOT NULL REFERENCES consultations (id),
  contribution_id bigint NOT NULL REFERENCES contributions (id),
  from_theme      text,                        -- NULL when it had none
  to_theme        text NOT NULL,
  search_query    text NOT NULL,               -- the query that selected it
  actor           text NOT NULL,
  tagged_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX contribution_tags_contribution ON contribution_tags (contribution_id, id);
