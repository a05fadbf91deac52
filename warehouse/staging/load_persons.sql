INSERT INTO staging.persons BY NAME
SELECT $submission_id AS submission_id, $partner_id AS partner_id, * EXCLUDE (_row)
FROM ingest_persons;
