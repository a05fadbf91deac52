-- Probability that two random records (both with a value) agree on birth year, and on the
-- swap-invariant birth date: the sum of squared value shares. Input: records.
WITH by_year AS (
    SELECT count(*) AS n FROM records WHERE birth_year IS NOT NULL GROUP BY birth_year
),
by_dob AS (
    SELECT count(*) AS n FROM records WHERE tok_dob_swap IS NOT NULL GROUP BY tok_dob_swap
)
SELECT
    (SELECT sum(n * n) / (sum(n) * sum(n)) FROM by_year) AS same_birth_year,
    (SELECT sum(n * n) / (sum(n) * sum(n)) FROM by_dob) AS same_dob_swap;
