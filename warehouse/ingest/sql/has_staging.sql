SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'staging' AND table_name = 'deliveries';
