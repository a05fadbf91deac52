-- People of the latest features who meet every condition (and belong to the segment, if one is
-- asked), counted by ZIP3 x age band x sex x sector combination. The feature columns come from
-- the allow-list ($features, checked in Python) and are picked by name, never spliced in.
WITH conditions AS (
    SELECT unnest($features) AS feature, unnest($operators) AS operator, unnest($values) AS value
),
chosen AS (
    SELECT person_key, COLUMNS(lambda c: list_contains($features, c))::INTEGER
    FROM features.person_features
),
long AS (
    UNPIVOT chosen ON COLUMNS(* EXCLUDE person_key) INTO NAME feature VALUE feature_value
),
matched AS (
    SELECT person_key
    FROM long
    JOIN conditions USING (feature)
    GROUP BY person_key
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
)
SELECT
    p.zip3,
    p.age_band,
    p.sex,
    coalesce(nullif(p.sector_combination, ''), 'none') AS sector,
    count(*) AS people
FROM features.person_features AS p
JOIN matched USING (person_key)
WHERE $segment IS NULL
    OR p.person_key IN (SELECT person_key FROM segments.membership WHERE segment = $segment)
GROUP BY ALL
ORDER BY ALL
