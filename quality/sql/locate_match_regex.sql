-- Rows whose value (not null) does not fully match $regex. $t: temp table, $cols: one column.
SELECT count(*) AS n, list_slice(list(_row ORDER BY _row), 1, $limit) AS row_numbers
FROM query_table($t)
WHERE NOT regexp_full_match(coalesce(CAST(COLUMNS($cols) AS VARCHAR), ''), $regex)
  AND COLUMNS($cols) IS NOT NULL;
