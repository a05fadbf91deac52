-- The current answer: each linked record and its person key.
SELECT partner_id, record_pseudonym, person_key
FROM linkage.person_records;
