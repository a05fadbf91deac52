-- Template: rows of one text column that still contain a forgotten pseudonym anywhere.
SELECT count(*) AS n
FROM target_schema.target_table AS t
WHERE EXISTS (
    SELECT 1
    FROM forget_pseudonyms AS f
    WHERE contains(CAST(t.target_column AS VARCHAR), f.record_pseudonym)
)
