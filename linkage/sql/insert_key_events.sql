-- Key events of this run: must run before the answer is replaced (it reads the old persons).
INSERT INTO linkage.key_events
SELECT $run_id AS run_id, person_key, 'created' AS event, NULL AS related_key
FROM cluster_key
WHERE created_run = $run_id
UNION ALL
SELECT $run_id, k.split_from, 'split', c.person_key
FROM keyless_clusters AS k
JOIN cluster_key AS c USING (cluster_id)
WHERE k.had_old_key
UNION ALL
SELECT $run_id, h.person_key, 'merged', c.person_key
FROM key_home AS h
JOIN cluster_key AS c USING (cluster_id)
WHERE h.person_key <> c.person_key
UNION ALL
SELECT $run_id, p.person_key, 'retired', NULL
FROM old_persons AS p
WHERE
    p.person_key NOT IN (SELECT person_key FROM cluster_key)
    AND p.person_key NOT IN (SELECT person_key FROM key_home);
