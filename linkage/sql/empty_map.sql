-- An incremental run with nothing new: an empty map (every person keeps key and records).
SELECT partner_id, record_pseudonym, 'K:' || person_key AS cluster_id, record_digest
FROM linkage.person_records
WHERE FALSE;
