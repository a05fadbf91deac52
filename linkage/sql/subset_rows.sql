-- The rows of the records keyed in subset_keys(partner_id, record_pseudonym), filtered before
-- they are prepared (preparing all rows first costs seconds at a million records).
-- Inputs: linkage_rows, subset_keys (temp table of an incremental run).
CREATE OR REPLACE TEMP VIEW subset_rows AS
SELECT s.*
FROM linkage_rows AS s
SEMI JOIN subset_keys AS k USING (partner_id, record_pseudonym);
