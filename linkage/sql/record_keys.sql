-- Keys and digests of every record to link now (only these three columns are computed).
-- Input: prepared_records (a temp view over the run's relation, see linkage/records.py).
CREATE OR REPLACE TEMP TABLE linkage_records AS
SELECT partner_id, record_pseudonym, record_digest
FROM prepared_records;
