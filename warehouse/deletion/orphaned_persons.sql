-- Affected person keys that no longer have any record.
INSERT INTO orphan_persons
SELECT a.person_key
FROM affected_persons AS a
WHERE NOT EXISTS (
    SELECT 1 FROM linkage.person_records AS r WHERE r.person_key = a.person_key
)
