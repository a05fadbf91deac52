-- Inside Splink's work database: the already-linked records that can meet the new ones.
-- Inputs: records, new_keys, and candidate_keys (view: records sharing a prediction blocking
-- key with a new record, see linkage.link.split_records). An existing record outside it
-- forms no blocked pair with the batch, so predict_between need not read it.
CREATE OR REPLACE TABLE existing_records AS
SELECT r.*
FROM records AS r
SEMI JOIN candidate_keys AS c USING (partner_id, record_pseudonym)
ANTI JOIN new_keys AS k USING (partner_id, record_pseudonym);
