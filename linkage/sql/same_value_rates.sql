-- Probability that two random records (both with a value) agree on birth year: the sum of
-- squared value shares. Input: records.
WITH by_year AS (
    SELECT count(*) AS n FROM records WHERE birth_year IS NOT NULL GROUP BY birth_year
)
SELECT sum(n * n) / (sum(n) * sum(n)) AS same_birth_year FROM by_year;
