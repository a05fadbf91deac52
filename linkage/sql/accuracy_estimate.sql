-- Inside Splink's work database: pairwise precision, recall and F1 of a full run's persons,
-- estimated from the match probabilities alone (no ground truth).
-- A scored pair is a match with its probability p. Pairs of one person that were never scored
-- (joined through others) count with the mean p of that person's scored pairs. Matches that
-- no blocking rule finds are invisible here, so recall is an upper bound by that share.
-- Inputs: scored (every scored pair, down to the scoring floor), full_clusters.
WITH pairs AS (
    SELECT
        s.match_probability AS p,
        cl.cluster_id AS cluster_l,
        cr.cluster_id AS cluster_r
    FROM scored AS s
    JOIN full_clusters AS cl
        ON cl.partner_id = s.partner_id_l AND cl.record_pseudonym = s.record_pseudonym_l
    JOIN full_clusters AS cr
        ON cr.partner_id = s.partner_id_r AND cr.record_pseudonym = s.record_pseudonym_r
),
inside AS (
    SELECT cluster_l AS cluster_id, count(*) AS scored, sum(p) AS p_sum
    FROM pairs
    WHERE cluster_l = cluster_r
    GROUP BY cluster_l
),
persons AS (
    SELECT cluster_id, count(*) * (count(*) - 1) / 2 AS predicted
    FROM full_clusters
    GROUP BY cluster_id
    HAVING count(*) > 1
),
per_person AS (
    SELECT
        p.predicted,
        coalesce(i.p_sum, 0.0) AS p_sum,
        (p.predicted - coalesce(i.scored, 0))
        * coalesce(i.p_sum / nullif(i.scored, 0), 0.0) AS unscored_tp
    FROM persons AS p
    LEFT JOIN inside AS i USING (cluster_id)
)
SELECT
    coalesce((SELECT sum(predicted) FROM per_person), 0) AS predicted_pairs,
    coalesce((SELECT sum(p_sum + unscored_tp) FROM per_person), 0.0) AS expected_true_positives,
    coalesce((SELECT sum(p) FROM pairs), 0.0)
    + coalesce((SELECT sum(unscored_tp) FROM per_person), 0.0) AS expected_matches;
