-- Rows whose value (not null) is outside the allowed set $values.
SELECT count(*) AS n, list_slice(list(_row ORDER BY _row), 1, $limit) AS row_numbers
FROM query_table($t)
WHERE NOT list_contains($values, coalesce(CAST(COLUMNS($cols) AS VARCHAR), $values[1]));
