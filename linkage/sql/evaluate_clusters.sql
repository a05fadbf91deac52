-- Accuracy of the current answer against a ground truth (eval_truth: partner_id,
-- record_pseudonym, resident_id). Pairwise counts and B-cubed precision/recall over the
-- records present in both.
WITH j AS (
    SELECT t.resident_id, p.person_key
    FROM eval_truth AS t
    JOIN linkage.person_records AS p USING (partner_id, record_pseudonym)
),
pred AS (SELECT person_key, count(*) AS n FROM j GROUP BY person_key),
tru AS (SELECT resident_id, count(*) AS n FROM j GROUP BY resident_id),
both_ AS (SELECT person_key, resident_id, count(*) AS n FROM j GROUP BY person_key, resident_id)
SELECT
    (SELECT count(*) FROM j) AS records,
    (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM pred) AS predicted_pairs,
    (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM tru) AS true_pairs,
    (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM both_) AS true_positive_pairs,
    (
        SELECT avg(b.n / c.n)
        FROM j
        JOIN both_ AS b USING (person_key, resident_id)
        JOIN pred AS c USING (person_key)
    ) AS bcubed_precision,
    (
        SELECT avg(b.n / t.n)
        FROM j
        JOIN both_ AS b USING (person_key, resident_id)
        JOIN tru AS t USING (resident_id)
    ) AS bcubed_recall;
