-- Program evaluation: ED visits + inpatient admissions in the 6 months before and after a
-- person's first service of a program, against a comparison group of people who never received
-- that program, exactly matched on age band, sex, prior utilisation and social need at the same
-- index month (coarsened exact matching; comparison people are weighted to the served). Each
-- never-served person gets one pseudo index month (hash of the key) among the eligible months.
WITH programs(program, categories) AS (
    VALUES
        ('housing_services', ['housing_navigation', 'rental_assistance', 'emergency_shelter']),
        ('food_services', ['food_pantry', 'medically_tailored_meals', 'snap_enrollment']),
        ('case_management', ['case_management']),
        ('any_cbo_service', ['housing_navigation', 'rental_assistance', 'emergency_shelter',
            'food_pantry', 'medically_tailored_meals', 'snap_enrollment', 'case_management',
            'transportation_assistance', 'utility_assistance', 'legal_aid', 'other'])
),
events AS (
    SELECT r.person_key, e.event_type, e.category, e.result,
        CAST(date_trunc('month', e.event_date) AS DATE) AS month
    FROM staging.current_events AS e
    JOIN linkage.person_records AS r
        ON r.partner_id = e.partner_id AND r.record_pseudonym = e.record_pseudonym
    WHERE e.event_date <= $as_of
),
bounds AS (
    SELECT min(month) AS first_month FROM events
),
util AS (
    SELECT person_key, month, count(*) AS visits
    FROM events
    WHERE event_type IN ('ed_visit', 'inpatient_stay')
    GROUP BY ALL
),
need AS (
    SELECT person_key, min(month) AS first_positive
    FROM events
    WHERE event_type = 'hrsn_screening' AND result = 'positive'
    GROUP BY ALL
),
first_service AS (
    SELECT p.program, e.person_key, min(e.month) AS index_month
    FROM events AS e
    JOIN programs AS p ON list_contains(p.categories, e.category)
    WHERE e.event_type = 'service'
    GROUP BY ALL
),
eligible AS (
    -- Index months with 6 months of history before and 6 complete months after.
    SELECT DISTINCT f.program, f.index_month
    FROM first_service AS f, bounds AS b
    WHERE f.index_month >= b.first_month + INTERVAL 6 MONTH
      AND f.index_month + INTERVAL 6 MONTH <= CAST(date_trunc('month', $as_of::DATE) AS DATE)
),
grid AS (
    SELECT list(DISTINCT index_month ORDER BY index_month) AS months FROM eligible
),
candidates AS (
    -- Served people at their index month; every never-served person at one eligible month
    -- picked by a hash of the key (a random index date, stable between runs).
    SELECT f.program, f.index_month, f.person_key, 'served' AS grp
    FROM first_service AS f
    JOIN eligible AS e USING (program, index_month)
    UNION ALL
    SELECT p.program, c.index_month, c.person_key, 'comparison' AS grp
    FROM (
        SELECT f.person_key,
            list_element(g.months, 1 + CAST(hash(f.person_key) % len(g.months) AS INTEGER))
                AS index_month
        FROM features.person_features AS f, grid AS g
        WHERE NOT f.deceased AND len(g.months) > 0
    ) AS c
    CROSS JOIN programs AS p
    ANTI JOIN first_service AS f ON f.program = p.program AND f.person_key = c.person_key
),
measured AS (
    SELECT
        c.program, c.index_month, c.person_key, c.grp,
        coalesce(sum(u.visits) FILTER (WHERE u.month < c.index_month), 0) AS before,
        coalesce(sum(u.visits) FILTER (WHERE u.month >= c.index_month), 0) AS after
    FROM candidates AS c
    LEFT JOIN util AS u
        ON u.person_key = c.person_key
        AND u.month >= c.index_month - INTERVAL 6 MONTH
        AND u.month < c.index_month + INTERVAL 6 MONTH
    GROUP BY ALL
),
stratified AS (
    SELECT
        m.*,
        f.age_band,
        f.sex,
        CASE WHEN m.before = 0 THEN '0' WHEN m.before = 1 THEN '1'
            WHEN m.before <= 3 THEN '2-3' ELSE '4+' END AS prior_use,
        coalesce(n.first_positive < m.index_month, false) AS social_need
    FROM measured AS m
    JOIN features.person_features AS f ON f.person_key = m.person_key
    LEFT JOIN need AS n ON n.person_key = m.person_key
),
strata AS (
    SELECT program, index_month, age_band, sex, prior_use, social_need,
        count(*) FILTER (WHERE grp = 'served') AS n_served,
        count(*) FILTER (WHERE grp = 'comparison') AS n_comparison
    FROM stratified
    GROUP BY ALL
    HAVING n_served > 0 AND n_comparison > 0
),
weighted AS (
    SELECT s.*,
        CASE WHEN s.grp = 'served' THEN 1.0 ELSE t.n_served / t.n_comparison END AS weight
    FROM stratified AS s
    JOIN strata AS t USING (program, index_month, age_band, sex, prior_use, social_need)
)
SELECT
    program,
    grp AS cohort,
    count(DISTINCT person_key) AS people,
    sum(weight * before) / sum(weight) AS before_per_person,
    sum(weight * after) / sum(weight) AS after_per_person,
    strftime(min(index_month), '%Y-%m') AS first_index_month,
    strftime(max(index_month), '%Y-%m') AS last_index_month
FROM weighted
GROUP BY ALL
ORDER BY program, cohort DESC
