-- Replace the current answer with next_records / next_persons (inside the run's transaction).
DELETE FROM linkage.person_records;

INSERT INTO linkage.person_records
SELECT partner_id, record_pseudonym, person_key, run_id, record_digest
FROM next_records
ORDER BY person_key, partner_id, record_pseudonym;

DELETE FROM linkage.persons;

INSERT INTO linkage.persons
SELECT person_key, n_records, n_partners, created_run, updated_run
FROM next_persons
ORDER BY person_key;
