-- Rows whose text is longer than $max_value characters.
SELECT count(*) AS n, list_slice(list(_row ORDER BY _row), 1, $limit) AS row_numbers
FROM query_table($t)
WHERE coalesce(length(CAST(COLUMNS($cols) AS VARCHAR)), 0) > $max_value;
