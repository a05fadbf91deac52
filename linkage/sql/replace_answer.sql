-- Bring the current answer to next_records / next_persons (inside the run's transaction).
-- Only rows that differ are deleted and inserted: an incremental run touches few persons.
DELETE FROM linkage.person_records AS p
WHERE p.person_key IN (SELECT person_key FROM old_persons) AND NOT EXISTS (
    SELECT 1
    FROM next_records AS n
    WHERE
        n.partner_id = p.partner_id
        AND n.record_pseudonym = p.record_pseudonym
        AND n.person_key = p.person_key
        AND n.run_id = p.run_id
        AND n.record_digest IS NOT DISTINCT FROM p.record_digest
);

INSERT INTO linkage.person_records
SELECT n.partner_id, n.record_pseudonym, n.person_key, n.run_id, n.record_digest
FROM next_records AS n
WHERE NOT EXISTS (
    SELECT 1
    FROM linkage.person_records AS p
    WHERE
        n.partner_id = p.partner_id
        AND n.record_pseudonym = p.record_pseudonym
);

DELETE FROM linkage.persons AS p
WHERE p.person_key IN (SELECT person_key FROM old_persons) AND NOT EXISTS (
    SELECT 1
    FROM next_persons AS n
    WHERE
        n.person_key = p.person_key
        AND n.n_records = p.n_records
        AND n.n_partners = p.n_partners
        AND n.created_run = p.created_run
        AND n.updated_run = p.updated_run
);

INSERT INTO linkage.persons
SELECT n.person_key, n.n_records, n.n_partners, n.created_run, n.updated_run
FROM next_persons AS n
WHERE NOT EXISTS (SELECT 1 FROM linkage.persons AS p WHERE p.person_key = n.person_key);
