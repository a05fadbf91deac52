-- Rows whose (not null) value also appears on another row.
WITH keyed AS (
    SELECT _row, CAST(COLUMNS($cols) AS VARCHAR) FROM query_table($t)
), flat AS (
    UNPIVOT keyed ON COLUMNS(* EXCLUDE (_row)) INTO NAME col VALUE val
), repeated AS (
    SELECT _row FROM flat QUALIFY count(*) OVER (PARTITION BY val) > 1
)
SELECT count(*) AS n, list_slice(list(_row ORDER BY _row), 1, $limit) AS row_numbers
FROM repeated;
