-- Rows whose value contains a match of $regex.
SELECT count(*) AS n, list_slice(list(_row ORDER BY _row), 1, $limit) AS row_numbers
FROM query_table($t)
WHERE regexp_matches(CAST(COLUMNS($cols) AS VARCHAR), $regex);
