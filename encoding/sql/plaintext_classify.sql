-- Classify the off-format values of one column by the identifier they look like.
-- $anchored: patterns must match the whole (trimmed) value; else a match anywhere counts.
WITH flat AS (
    UNPIVOT (SELECT _row, CAST(COLUMNS($cols) AS VARCHAR) FROM query_table($t))
    ON COLUMNS(* EXCLUDE (_row)) INTO NAME col VALUE val
), candidates AS (
    SELECT _row, trim(val) AS val FROM flat WHERE NOT regexp_full_match(val, $format)
), classified AS (
    SELECT
        _row,
        CASE
            WHEN CASE WHEN $anchored THEN regexp_full_match(val, $ssn) ELSE regexp_matches(val, $ssn) END
                THEN 'ssn'
            WHEN CASE WHEN $anchored THEN regexp_full_match(val, $phone) ELSE regexp_matches(val, $phone) END
                THEN 'phone'
            WHEN CASE WHEN $anchored THEN regexp_full_match(val, $date) ELSE regexp_matches(val, $date) END
                THEN 'date'
            WHEN CASE WHEN $anchored THEN regexp_full_match(val, $email) ELSE regexp_matches(val, $email) END
                THEN 'email'
            WHEN CASE WHEN $anchored THEN regexp_full_match(val, $name) ELSE regexp_matches(val, $name) END
                THEN 'name'
        END AS kind
    FROM candidates
)
SELECT kind, count(*) AS n, list_slice(list(_row ORDER BY _row), 1, $limit) AS row_numbers
FROM classified
WHERE kind IS NOT NULL
GROUP BY kind
ORDER BY kind;
