-- Inside Splink's work database: split the prepared records into those already linked and
-- those to link now. Inputs: records, new_keys(partner_id, record_pseudonym).
CREATE OR REPLACE TABLE new_records AS
SELECT r.*
FROM records AS r
SEMI JOIN new_keys AS k USING (partner_id, record_pseudonym);

CREATE OR REPLACE TABLE existing_records AS
SELECT r.*
FROM records AS r
ANTI JOIN new_keys AS k USING (partner_id, record_pseudonym);
