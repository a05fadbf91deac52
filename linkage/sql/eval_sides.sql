-- One side of the true pairs for blocking recall: truth joined to the prepared records.
-- Inputs: eval_truth, eval_records. evaluate.py pairs it with itself on resident_id.
CREATE OR REPLACE TEMP VIEW eval_sides AS
SELECT t.resident_id, e.*
FROM eval_truth AS t
JOIN eval_records AS e USING (partner_id, record_pseudonym);
