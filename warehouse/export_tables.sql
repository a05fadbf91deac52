-- Base tables of the attached marts database, in a stable order.
SELECT table_name
FROM duckdb_tables()
WHERE database_name = $catalog AND schema_name = 'main'
ORDER BY table_name;
