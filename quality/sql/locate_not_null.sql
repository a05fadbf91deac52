-- Rows where the column is null.
SELECT count(*) AS n, list_slice(list(_row ORDER BY _row), 1, $limit) AS row_numbers
FROM query_table($t)
WHERE COLUMNS($cols) IS NULL;
