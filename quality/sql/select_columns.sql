-- The columns a suite reads, from one staged temp table.
SELECT COLUMNS($cols) FROM query_table($t);
