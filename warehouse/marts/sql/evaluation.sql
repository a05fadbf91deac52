-- Program evaluation: ED visits + inpatient admissions in the 6 months before and after a
-- person's first service of a program, against a comparison group of people who never received
-- that program, exactly matched on age band, sex, prior utilisation and social need at the same
-- index month (coarsened exact matching; comparison people are weighted to the served). Each
-- never-served person gets one pseudo index month (hash of the key) among the eligible months.
WITH program_categories(program, categories) AS (
    VALUES
        ('housing_services', ['housing_navigation', 'rental_assistance', 'emergency_shelter']),
        ('food_services', ['food_pantry', 'medically_tailored_meals', 'snap_enrollment']),
        ('case_management', ['case_management']),
        ('any_cbo_service', ['housing_navigation', 'rental_assistance', 'emergency_shelter',
            'food_pantry', 'medically_tailored_meals', 'snap_enrollment', 'case_management',
            'transportation_assistance', 'utility_assistance', 'legal_aid', 'other'])
),
programs AS (
    -- Each program as a mask over the service bits of features.monthly_events.
    SELECT program, bit_or(CAST(1 AS BIGINT) << (list_position($services, category) + 7)) AS mask
    FROM (SELECT program, unnest(categories) AS category FROM program_categories)
    GROUP BY program
),
activity AS (
    -- Each person's events per calendar month up to the reference date, as counted by the
    -- features step (features.monthly_events: packed counts and flags, see
    -- warehouse/features/event_features.sql).
    SELECT
        e.person_id,
        make_date(
            CAST(e.month_index // 12 AS INTEGER), CAST(e.month_index % 12 + 1 AS INTEGER), 1
        ) AS month,
        CAST((e.counts & 4294967295) + ((e.counts >> 32) & 4294967295) AS BIGINT) AS visits,
        e.flags
    FROM features.monthly_events AS e
    SEMI JOIN features.persons AS p ON p.person_id = e.person_id
),
people AS (
    -- Persons by their integer id within this build (cheaper joins than the key).
    SELECT p.person_id, f.person_key, f.age_band, f.sex, f.deceased
    FROM features.persons AS p
    JOIN features.person_features AS f ON f.person_key = p.person_key
),
bounds AS (
    SELECT min(month) AS first_month FROM activity
),
util AS (
    -- ED visits + inpatient admissions.
    SELECT person_id, month, visits
    FROM activity
    WHERE visits > 0
),
need AS (
    -- Flag bit 26: a positive social-needs screening.
    SELECT person_id, min(month) AS first_positive
    FROM activity
    WHERE flags & 67108864 <> 0
    GROUP BY ALL
),
first_service AS (
    -- Flag bits 8 and up: the services received ($services order).
    SELECT p.program, m.person_id, min(m.month) AS index_month
    FROM activity AS m
    JOIN programs AS p ON m.flags & p.mask <> 0
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
    SELECT f.program, f.index_month, f.person_id, 'served' AS grp
    FROM first_service AS f
    JOIN eligible AS e USING (program, index_month)
    UNION ALL
    SELECT p.program, c.index_month, c.person_id, 'comparison' AS grp
    FROM (
        SELECT f.person_id,
            list_element(g.months, 1 + CAST(hash(f.person_key) % len(g.months) AS INTEGER))
                AS index_month
        FROM people AS f, grid AS g
        WHERE NOT f.deceased AND len(g.months) > 0
    ) AS c
    CROSS JOIN programs AS p
    ANTI JOIN first_service AS f ON f.program = p.program AND f.person_id = c.person_id
),
measured AS (
    SELECT
        c.program, c.index_month, c.person_id, c.grp,
        coalesce(sum(u.visits) FILTER (WHERE u.month < c.index_month), 0) AS before,
        coalesce(sum(u.visits) FILTER (WHERE u.month >= c.index_month), 0) AS after
    FROM candidates AS c
    LEFT JOIN util AS u
        ON u.person_id = c.person_id
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
    JOIN people AS f ON f.person_id = m.person_id
    LEFT JOIN need AS n ON n.person_id = m.person_id
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
    -- One row per program and person (a first service, or one pseudo index month), so count(*)
    -- counts people.
    count(*) AS people,
    sum(weight * before) / sum(weight) AS before_per_person,
    sum(weight * after) / sum(weight) AS after_per_person,
    strftime(min(index_month), '%Y-%m') AS first_index_month,
    strftime(max(index_month), '%Y-%m') AS last_index_month
FROM weighted
GROUP BY ALL
ORDER BY program, cohort DESC
