-- schema.table of every base table of hub.duckdb (the export allow-list is applied in code).
SELECT schema_name || '.' || table_name AS qualified
FROM duckdb_tables()
WHERE database_name = current_database();
