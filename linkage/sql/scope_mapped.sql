-- The part of the current answer a run may change: the persons with a record in new_map
-- (an incremental run maps those persons whole; every other person keeps key and records).
CREATE OR REPLACE TEMP TABLE old_persons AS
SELECT *
FROM linkage.persons
WHERE person_key IN (
    SELECT p.person_key
    FROM linkage.person_records AS p
    SEMI JOIN new_map AS n USING (partner_id, record_pseudonym)
);

CREATE OR REPLACE TEMP TABLE old_records AS
SELECT p.*
FROM linkage.person_records AS p
SEMI JOIN old_persons AS o USING (person_key);
