-- Term frequencies over all current records, as Splink computes them (count of the value /
-- count of non-null values of its column), for the values of the records an incremental run
-- reads. Inputs: linkage_rows, subset_keys. One row per (tf_column, value).
-- The columns are linkage.comparisons.TF_COLUMNS (UNPIVOT drops nulls, as Splink does), as the
-- 64-bit keys the prepared records hold (token_key.sql, defined by linkage.records).
WITH
long AS (
    UNPIVOT (
        SELECT
            partner_id,
            record_pseudonym,
            token_key(tok_fullname) AS tok_fullname,
            token_key(tok_phone) AS tok_phone
        FROM linkage_rows
    )
    ON tok_fullname, tok_phone
    INTO NAME tf_column VALUE value
),

totals AS (
    SELECT tf_column, count(*) AS n
    FROM long
    GROUP BY tf_column
),

wanted AS (
    SELECT DISTINCT l.tf_column, l.value
    FROM long AS l
    SEMI JOIN subset_keys AS k USING (partner_id, record_pseudonym)
)

SELECT
    l.tf_column,
    l.value,
    CAST(count(*) AS DOUBLE) / any_value(t.n) AS tf
FROM long AS l
SEMI JOIN wanted AS w USING (tf_column, value)
JOIN totals AS t USING (tf_column)
GROUP BY l.tf_column, l.value;
