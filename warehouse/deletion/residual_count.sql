-- Template: occurrences of a forgotten pseudonym anywhere inside one text column. Every 64-hex
-- run is extracted once per row and joined to the request (linear, not rows x pseudonyms).
SELECT count(*) AS n
FROM (
    SELECT unnest(regexp_extract_all(CAST(t.target_column AS VARCHAR), '[0-9a-f]{64}')) AS found
    FROM target_schema.target_table AS t
    WHERE length(CAST(t.target_column AS VARCHAR)) >= 64
) AS x
WHERE x.found IN (SELECT record_pseudonym FROM forget_pseudonyms)
