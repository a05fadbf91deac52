-- Inside Splink's work database: record -> cluster after an incremental run, for the new
-- records and the records of prev_keys (the persons the batch may touch, whole). A record of
-- an untouched person keeps its key as cluster label; touched persons and new records take
-- their component's label. Inputs: inc_clusters(node_id, cluster_id), new_records,
-- prev_keys(partner_id, record_pseudonym, person_key, record_digest).
WITH map_records AS (
    SELECT partner_id, record_pseudonym, record_digest FROM new_records
    UNION ALL
    SELECT partner_id, record_pseudonym, record_digest FROM prev_keys
)

SELECT
    r.partner_id,
    r.record_pseudonym,
    coalesce(
        'C:' || ck.cluster_id, 'C:' || cr.cluster_id, 'K:' || p.person_key
    ) AS cluster_id,
    r.record_digest
FROM map_records AS r
LEFT JOIN prev_keys AS p USING (partner_id, record_pseudonym)
LEFT JOIN inc_clusters AS ck ON ck.node_id = 'K:' || p.person_key
LEFT JOIN inc_clusters AS cr ON cr.node_id = 'R:' || r.partner_id || ':' || r.record_pseudonym;
