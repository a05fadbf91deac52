-- Values of one free-text column used by fewer than $min rows: a note or a name, not the
-- name of a program or unit (those repeat). NULLs are not values (UNPIVOT drops them).
WITH vals AS (
    UNPIVOT (SELECT _row, CAST(COLUMNS($cols) AS VARCHAR) FROM query_table($t))
    ON COLUMNS(* EXCLUDE (_row)) INTO NAME col VALUE val
), counted AS (
    SELECT _row, count(*) OVER (PARTITION BY val) AS uses FROM vals
)
SELECT count(*) AS n, list_slice(list(_row ORDER BY _row), 1, $limit) AS row_numbers
FROM counted
WHERE uses < $min;
