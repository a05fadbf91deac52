-- Stable person keys, step 4b: the next content of linkage.persons (see next_records.sql).
CREATE OR REPLACE TEMP TABLE next_persons AS
SELECT
    r.person_key,
    CAST(count(*) AS INTEGER) AS n_records,
    CAST(count(DISTINCT r.partner_id) AS INTEGER) AS n_partners,
    coalesce(any_value(o.created_run), $run_id) AS created_run,
    CASE
        WHEN bool_and(r.run_id <> $run_id) AND count(*) = any_value(o.n_records)
            THEN any_value(o.updated_run)
        ELSE $run_id
    END AS updated_run
FROM next_records AS r
LEFT JOIN linkage.persons AS o USING (person_key)
GROUP BY r.person_key;
