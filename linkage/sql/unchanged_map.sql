-- An incremental run with nothing new: every record stays with its person.
SELECT partner_id, record_pseudonym, 'K:' || person_key AS cluster_id, record_digest
FROM linkage.person_records;
