-- Every table and column of the current database with its comment.
SELECT table_name, NULL AS column_name, NULL AS data_type, coalesce(comment, '') AS description,
    0 AS position
FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main'
UNION ALL
SELECT table_name, column_name, data_type, coalesce(comment, '') AS description,
    column_index AS position
FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main'
ORDER BY table_name, position
