-- Whether a table or view exists (extract inputs are built by other parts of the pipeline).
SELECT count(*) AS n
FROM information_schema.tables
WHERE table_schema = $schema AND table_name = $table
