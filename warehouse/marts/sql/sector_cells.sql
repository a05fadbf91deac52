-- People of each population by the exact combination of sectors holding a record of them, now.
WITH members AS (
    SELECT m.segment AS population, f.sector_combination
    FROM segments.membership AS m
    JOIN features.person_features AS f ON f.person_key = m.person_key
    UNION ALL
    SELECT 'all_people' AS population, sector_combination
    FROM features.person_features
    WHERE NOT deceased
)
SELECT population, sector_combination, count(*) AS people
FROM members
GROUP BY ALL
ORDER BY ALL
