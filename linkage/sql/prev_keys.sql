-- The linked records of every person a batch may touch: persons with a record in subset_keys
-- (the new records and the records sharing a blocking key with them), all their records.
SELECT partner_id, record_pseudonym, person_key, record_digest
FROM linkage.person_records
WHERE person_key IN (
    SELECT p.person_key
    FROM linkage.person_records AS p
    SEMI JOIN subset_keys AS k USING (partner_id, record_pseudonym)
);
