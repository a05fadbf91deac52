-- What changed since the last run, in one pass: records added, withdrawn, changed (another
-- digest), and how many are linked now. Inputs: current_records, linkage.person_records.
SELECT
    count(*) FILTER (WHERE p.partner_id IS NULL) AS added,
    count(*) FILTER (WHERE c.partner_id IS NULL) AS removed,
    count(*) FILTER (
        WHERE c.partner_id IS NOT NULL
        AND p.partner_id IS NOT NULL
        AND p.record_digest IS DISTINCT FROM c.record_digest
    ) AS changed,
    count(p.partner_id) AS linked
FROM current_records AS c
FULL OUTER JOIN linkage.person_records AS p
    ON c.partner_id = p.partner_id AND c.record_pseudonym = p.record_pseudonym;
