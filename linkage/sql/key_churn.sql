-- Stable person keys, step 2 (after fresh keys were added to cluster_key as created_run = $run_id):
-- churn counts of this run. Reads new_map, key_home, cluster_key, keyless_clusters, linkage.*.
WITH old_sizes AS (
    SELECT person_key, count(*) AS n_old
    FROM old_records
    GROUP BY person_key
),
new_sizes AS (
    SELECT cluster_id, count(*) AS n_new
    FROM new_map
    GROUP BY cluster_id
),
kept AS (
    SELECT c.cluster_id, c.person_key, c.n_candidates, h.n_shared, o.n_old, s.n_new
    FROM cluster_key AS c
    JOIN key_home AS h USING (person_key, cluster_id)
    JOIN old_sizes AS o USING (person_key)
    JOIN new_sizes AS s USING (cluster_id)
)
SELECT
    (SELECT count(*) FROM keyless_clusters WHERE NOT had_old_key) AS new,
    (SELECT count(*) FROM kept WHERE n_candidates > 1) AS merged,
    (SELECT count(*) FROM key_home WHERE n_parts > 1) AS split,
    (SELECT count(*) FROM keyless_clusters WHERE had_old_key) AS split_off,
    (SELECT count(*) FROM old_sizes WHERE person_key NOT IN (SELECT person_key FROM cluster_key))
        AS retired,
    (
        SELECT count(*) FROM kept
        WHERE n_candidates = 1 AND n_shared = n_old AND n_shared = n_new
    )
    -- persons outside the run's scope keep their key and records
    + (SELECT count(*) FROM linkage.persons) - (SELECT count(*) FROM old_persons) AS unchanged,
    (
        SELECT count(*) FROM kept
        WHERE n_candidates = 1 AND NOT (n_shared = n_old AND n_shared = n_new)
    ) AS updated;
