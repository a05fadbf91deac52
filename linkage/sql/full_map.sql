-- Inside Splink's work database: record -> cluster after a full re-link.
-- Inputs: full_clusters (Splink's clustering output, a view), records.
SELECT
    c.partner_id,
    c.record_pseudonym,
    'C:' || c.cluster_id AS cluster_id,
    r.record_digest
FROM full_clusters AS c
JOIN records AS r USING (partner_id, record_pseudonym);
