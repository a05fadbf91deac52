-- Synthetic spec-1.0 events for one partner: $per events per person on average.
SELECT
    sha256($partner || 'p' || (i // $per)) AS record_pseudonym,
    substr(sha256($partner || 'e' || i), 1, 32) AS event_id,
    CASE WHEN i % 3 = 0 THEN 'ed_visit' WHEN i % 3 = 1 THEN 'service' ELSE 'hrsn_screening' END
        AS event_type,
    DATE '2025-01-01' + (i % 600)::INTEGER AS event_date,
    NULL::DATE AS end_date,
    CASE
        WHEN i % 3 = 0 THEN 'respiratory'
        WHEN i % 3 = 1 THEN 'food_pantry'
        ELSE 'housing_instability'
    END AS category,
    CASE WHEN i % 3 = 2 THEN 'positive' END AS result,
    CASE WHEN i % 5 = 0 THEN 'Harbor East Pantry' END AS program,
    FALSE AS part2
FROM range($n * $per) AS t(i);
