-- Every column of every base table in the hub database, with its type (deletion discovers where
-- pseudonyms and person keys are stored, so a table added by any part is purged too).
SELECT c.table_schema, c.table_name, c.column_name, c.data_type
FROM information_schema.columns AS c
INNER JOIN information_schema.tables AS t
    ON t.table_catalog = c.table_catalog
    AND t.table_schema = c.table_schema
    AND t.table_name = c.table_name
WHERE t.table_type = 'BASE TABLE'
  AND c.table_catalog = current_database()
  AND c.table_schema NOT IN ('information_schema', 'pg_catalog')
ORDER BY c.table_schema, c.table_name, c.ordinal_position
