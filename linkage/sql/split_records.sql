-- Inside Splink's work database: the records to link now. Inputs: records,
-- new_keys(partner_id, record_pseudonym).
CREATE OR REPLACE TABLE new_records AS
SELECT r.*
FROM records AS r
SEMI JOIN new_keys AS k USING (partner_id, record_pseudonym);
