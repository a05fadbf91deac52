-- What a scoped run scores: the new records and the linked records that share a prediction
-- blocking key with one (candidate_keys, found over every ingested row; a record matched only
-- through an older row of its own is read, scored on its current row, and harmless).
-- Inputs: new_keys, candidate_keys (temp views/tables of linkage/incremental.py).
CREATE OR REPLACE TEMP TABLE subset_keys AS
SELECT c.partner_id, c.record_pseudonym
FROM candidate_keys AS c
SEMI JOIN linkage.person_records AS p USING (partner_id, record_pseudonym)
UNION
SELECT partner_id, record_pseudonym FROM new_keys;
