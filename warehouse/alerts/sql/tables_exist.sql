-- Whether the alerts tables exist (a read-only status must not create them).
SELECT count(*) = 2
FROM duckdb_tables()
WHERE schema_name = 'alerts' AND table_name IN ('batches', 'sent');
