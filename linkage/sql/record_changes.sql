-- How the current encoded records differ from the last linkage answer.
-- Input: temp table current_records(partner_id, record_pseudonym, record_digest).
SELECT
    (
        SELECT count(*) FROM current_records AS c
        ANTI JOIN linkage.person_records AS p USING (partner_id, record_pseudonym)
    ) AS added,
    (
        SELECT count(*) FROM linkage.person_records AS p
        ANTI JOIN current_records AS c USING (partner_id, record_pseudonym)
    ) AS removed,
    (
        SELECT count(*) FROM current_records AS c
        JOIN linkage.person_records AS p USING (partner_id, record_pseudonym)
        WHERE p.record_digest IS DISTINCT FROM c.record_digest
    ) AS changed,
    (SELECT count(*) FROM linkage.person_records) AS linked;
