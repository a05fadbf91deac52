-- Decodes every value of one text column: fails on bytes that are not UTF-8.
SELECT max(length(COLUMNS($cols))) FROM read_parquet($path);
