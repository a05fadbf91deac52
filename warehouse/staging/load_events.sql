INSERT INTO staging.events BY NAME
SELECT $submission_id AS submission_id, $partner_id AS partner_id, * EXCLUDE (_row)
FROM ingest_events;
