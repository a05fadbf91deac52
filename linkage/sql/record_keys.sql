-- Keys and digests of the prepared records (an Arrow view), kept on the hub connection for
-- the run's own SQL (see load_current_records.sql).
CREATE OR REPLACE TEMP TABLE linkage_records AS
SELECT partner_id, record_pseudonym, record_digest
FROM linkage_records_arrow;
