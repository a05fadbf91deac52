-- The raw rows of the records new since the last run. Inputs: linkage_rows, new_keys.
CREATE OR REPLACE TEMP VIEW new_source AS
SELECT s.*
FROM linkage_rows AS s
SEMI JOIN new_keys AS k USING (partner_id, record_pseudonym);
