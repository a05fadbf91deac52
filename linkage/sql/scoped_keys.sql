-- The records of the given submissions (an events package's persons rows): the scope of a
-- scoped linkage run (linkage/incremental.py). Parameter: $submission_ids (VARCHAR[]).
CREATE OR REPLACE TEMP TABLE scope_keys AS
SELECT DISTINCT partner_id, record_pseudonym
FROM staging.persons
WHERE list_contains($submission_ids, submission_id);
