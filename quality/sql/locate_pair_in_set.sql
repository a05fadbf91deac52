-- Events whose (event_type, category) pair is not allowed; $pairs holds 'type:category' strings.
SELECT count(*) AS n, list_slice(list(_row ORDER BY _row), 1, $limit) AS row_numbers
FROM query_table($t)
WHERE event_type IS NOT NULL
  AND category IS NOT NULL
  AND NOT list_contains($pairs, event_type || ':' || category);
