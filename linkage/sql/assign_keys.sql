-- Stable person keys, step 1: which old key each new cluster keeps.
-- Input: temp table new_map(partner_id, record_pseudonym, cluster_id, record_digest).
-- Rule: an old key goes with the new cluster holding most of its old records (ties: lowest
-- cluster_id); a cluster offered several old keys (a merge) keeps the oldest one (earliest
-- run that created it, ties: lowest key). Clusters offered none get a fresh key afterwards.
CREATE OR REPLACE TEMP TABLE key_overlap AS
SELECT p.person_key, n.cluster_id, count(*) AS n_shared
FROM old_records AS p
JOIN new_map AS n USING (partner_id, record_pseudonym)
GROUP BY p.person_key, n.cluster_id;

CREATE OR REPLACE TEMP TABLE key_home AS
SELECT person_key, cluster_id, n_shared, n_parts
FROM (
    SELECT
        person_key,
        cluster_id,
        n_shared,
        count(*) OVER (PARTITION BY person_key) AS n_parts,
        row_number() OVER (PARTITION BY person_key ORDER BY n_shared DESC, cluster_id) AS rk
    FROM key_overlap
)
WHERE rk = 1;

CREATE OR REPLACE TEMP TABLE cluster_key AS
SELECT cluster_id, person_key, n_candidates, created_run
FROM (
    SELECT
        h.cluster_id,
        h.person_key,
        p.created_run,
        count(*) OVER (PARTITION BY h.cluster_id) AS n_candidates,
        row_number() OVER (
            PARTITION BY h.cluster_id
            ORDER BY r.started_at NULLS LAST, h.person_key
        ) AS rk
    FROM key_home AS h
    JOIN old_persons AS p USING (person_key)
    LEFT JOIN linkage.runs AS r ON r.run_id = p.created_run
)
WHERE rk = 1;

-- Clusters that keep no old key, and whether any of their records had one (a split-off part).
CREATE OR REPLACE TEMP TABLE keyless_clusters AS
SELECT
    n.cluster_id,
    max(p.person_key) IS NOT NULL AS had_old_key,
    min(p.person_key) AS split_from
FROM new_map AS n
LEFT JOIN old_records AS p USING (partner_id, record_pseudonym)
WHERE n.cluster_id NOT IN (SELECT cluster_id FROM cluster_key)
GROUP BY n.cluster_id
ORDER BY n.cluster_id;
