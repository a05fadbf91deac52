-- Inside Splink's work database: record -> cluster after an incremental run. A record of an
-- untouched person keeps its key as cluster label; touched persons and new records take
-- their component's label. Inputs: inc_clusters(node_id, cluster_id), prev_keys, records.
SELECT
    r.partner_id,
    r.record_pseudonym,
    coalesce(
        'C:' || ck.cluster_id, 'C:' || cr.cluster_id, 'K:' || p.person_key
    ) AS cluster_id,
    r.record_digest
FROM records AS r
LEFT JOIN prev_keys AS p USING (partner_id, record_pseudonym)
LEFT JOIN inc_clusters AS ck ON ck.node_id = 'K:' || p.person_key
LEFT JOIN inc_clusters AS cr ON cr.node_id = 'R:' || r.partner_id || ':' || r.record_pseudonym;
