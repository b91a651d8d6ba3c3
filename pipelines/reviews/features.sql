-- Reviews features, in Athena's dialect (Trino); the local engine (DuckDB) runs it unchanged.
-- Sluice wraps this query (core/text/channel-line.ts) into BlazingText's input, one line per review:
-- "__label__<score> <text>". So: return the label and the normalised text, nothing else.
--
-- Normalisation, written with functions that behave the same on Athena and DuckDB:
-- - lower(): both engines lower-case by Unicode rules.
-- - regexp_replace(s, pattern, replacement): Java regex syntax on Athena, RE2 locally (Sluice translates the
--   replacement's $1 into RE2's \1). The patterns below use only what both accept: character classes, \p{L}
--   (letters), \p{M} (combining marks), \p{N} (digits), \p{Z} (Unicode spaces), \x0B, groups and $1. They avoid
--   \s, \w and \b, whose meanings differ between Java and RE2 (Java's \s includes \x0B, RE2's does not).
--   Trino: "All of the regular expression functions use the Java pattern syntax"; "Categories must be specified
--   directly ... Example: \p{L}" (https://trino.io/docs/current/functions/regexp.html). DuckDB (RE2) runs this
--   query unchanged on the shipped reviews (checked by test/integration/text).
SELECT
  score AS label,
  trim(
    regexp_replace(
      regexp_replace(
        regexp_replace(
          -- HTML remnants: tags such as <br /> and the entities the export kept.
          regexp_replace(lower(review), '<[^>]*>|&(amp|quot|lt|gt|nbsp|#39);', ' '),
          -- Punctuation split from words: every character that is not a letter, mark, digit or space stands alone.
          '([^\p{L}\p{M}\p{N}\p{Z}\t\n\x0B\f\r])', ' $1 '),
        -- A run of several punctuation marks stays one token per mark (a single pass already spaced them).
        '[\p{Z}\t\n\x0B\f\r]+', ' '),
      -- Collapse again: harmless, keeps the query correct if a rule above is edited.
      ' {2,}', ' ')
  ) AS text
FROM reviews
