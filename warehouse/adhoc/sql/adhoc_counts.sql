-- People who meet every condition at the end of at least one reference month from $first to
-- $last (and belong to the segment that month, if one is asked), counted by their ZIP3 x age
-- band x sex x sector combination now. Deceased people never count. The feature columns come
-- from the allow-list ($features, checked in Python) and are picked by name, never spliced in.
WITH conditions AS (
    SELECT unnest($features) AS feature, unnest($operators) AS operator, unnest($values) AS value
),
chosen AS (
    SELECT person_key, month, COLUMNS(lambda c: list_contains($features, c))::INTEGER
    FROM features.person_month
    WHERE month BETWEEN $first AND $last
),
long AS (
    UNPIVOT chosen ON COLUMNS(* EXCLUDE (person_key, month)) INTO NAME feature VALUE feature_value
),
matched AS (
    SELECT person_key, month
    FROM long
    JOIN conditions USING (feature)
    GROUP BY person_key, month
    HAVING count(*) = (SELECT count(*) FROM conditions)
        AND bool_and(
            CASE operator
                WHEN '>=' THEN feature_value >= value
                WHEN '>' THEN feature_value > value
                WHEN '<=' THEN feature_value <= value
                WHEN '<' THEN feature_value < value
                WHEN '=' THEN feature_value = value
                WHEN '!=' THEN feature_value <> value
            END
        )
),
counted AS (
    SELECT DISTINCT person_key
    FROM matched
    WHERE $segment IS NULL
        OR (person_key, month) IN (
            SELECT (person_key, month) FROM segments.membership_monthly WHERE segment = $segment
        )
)
SELECT
    p.zip3,
    p.age_band,
    p.sex,
    coalesce(nullif(p.sector_combination, ''), 'none') AS sector,
    count(*) AS people
FROM features.person_features AS p
JOIN counted USING (person_key)
WHERE NOT p.deceased
GROUP BY ALL
ORDER BY ALL
