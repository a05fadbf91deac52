-- Fresh keys (minted in Python from `secrets`) for the clusters that kept no old key.
INSERT INTO cluster_key
SELECT cluster_id, person_key, 0 AS n_candidates, $run_id AS created_run
FROM fresh_keys;
