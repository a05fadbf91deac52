-- People in each population (every segment, and all_people) by month x age band x sex x ZIP3.
WITH members AS (
    SELECT segment AS population, month, age_band, sex, zip3
    FROM segments.membership_monthly
    UNION ALL
    SELECT 'all_people' AS population, month, age_band, sex, zip3
    FROM features.person_month
    WHERE NOT deceased
)
SELECT population, strftime(month, '%Y-%m') AS month, age_band, sex, zip3, count(*) AS people
FROM members
GROUP BY ALL
ORDER BY ALL
