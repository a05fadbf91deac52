CREATE OR REPLACE TEMP TABLE ingest_persons AS
SELECT file_row_number + 1 AS _row, * EXCLUDE (file_row_number)
FROM read_parquet($path, file_row_number = TRUE);
