-- Rows whose value lies outside [$min_value, $max_value].
SELECT count(*) AS n, list_slice(list(_row ORDER BY _row), 1, $limit) AS row_numbers
FROM query_table($t)
WHERE NOT coalesce(COLUMNS($cols) BETWEEN $min_value AND $max_value, TRUE);
