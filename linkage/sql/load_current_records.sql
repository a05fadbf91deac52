-- Keys and digests of the records to link now (read_records left them in linkage_records).
CREATE OR REPLACE TEMP VIEW current_records AS
SELECT partner_id, record_pseudonym, record_digest
FROM linkage_records;
