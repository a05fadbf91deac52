-- The ground truth for evaluation (from an Arrow/pandas view), as a temp table.
CREATE OR REPLACE TEMP TABLE eval_truth AS
SELECT partner_id, record_pseudonym, CAST(resident_id AS VARCHAR) AS resident_id
FROM eval_truth_in;
