-- Per column of $cols: how many non-null values do NOT fully match the column's $format.
SELECT count_if(NOT regexp_full_match(COLUMNS($cols), $format))
FROM query_table($t);
