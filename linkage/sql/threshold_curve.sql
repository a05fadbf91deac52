-- Inside Splink's work database: the link threshold from the model's own probabilities.
-- For each distinct match probability p (descending), linking every scored pair at or above p
-- gives expected true links sum(p) over those pairs, out of sum(p) over all scored pairs
-- (the expected number of matches). Picks the p with the best expected F1 among those whose
-- expected precision reaches $min_precision (else the best expected F1), clamped to [$lo, $hi].
-- Input: scored (match_probability of every scored pair, down to the scoring floor).
WITH total AS (
    SELECT sum(match_probability) AS expected_matches FROM scored
),
by_p AS (
    SELECT match_probability AS p, count(*) AS n, sum(match_probability) AS tp
    FROM scored
    GROUP BY match_probability
),
curve AS (
    SELECT
        p,
        sum(n) OVER w AS n,
        sum(tp) OVER w AS tp
    FROM by_p
    WINDOW w AS (ORDER BY p DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT
    greatest(least(c.p, $hi), $lo) AS threshold,
    c.tp / c.n AS expected_precision,
    c.tp / t.expected_matches AS expected_recall,
    2.0 * c.tp / (c.n + t.expected_matches) AS expected_f1
FROM curve AS c, total AS t
-- Rounded so that float sums in another thread order never change the choice.
ORDER BY
    round(c.tp / c.n, 9) >= $min_precision DESC,
    round(2.0 * c.tp / (c.n + t.expected_matches), 9) DESC,
    c.p DESC
LIMIT 1;
