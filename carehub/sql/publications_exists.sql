-- Whether ops.publications exists yet (carehub status opens hub.duckdb read-only: no CREATE).
SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'ops' AND table_name = 'publications'
