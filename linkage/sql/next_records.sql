-- Stable person keys, step 4: the next content of linkage.person_records and linkage.persons.
-- A record keeps the run_id that last gave it its key; a person keeps created_run, and its
-- updated_run moves only when its records changed.
CREATE OR REPLACE TEMP TABLE next_records AS
SELECT
    n.partner_id,
    n.record_pseudonym,
    c.person_key,
    CASE WHEN p.person_key = c.person_key THEN p.run_id ELSE $run_id END AS run_id,
    n.record_digest
FROM new_map AS n
JOIN cluster_key AS c USING (cluster_id)
LEFT JOIN old_records AS p USING (partner_id, record_pseudonym);
