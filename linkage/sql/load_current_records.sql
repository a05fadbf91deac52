-- Keys and digests of the records to link now (from an Arrow view), as a temp table.
CREATE OR REPLACE TEMP TABLE current_records AS
SELECT partner_id, record_pseudonym, record_digest
FROM current_records_arrow;
