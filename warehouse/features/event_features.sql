-- Event-based features of each person at each reference month (sparse: persons with events).
-- Windows are calendar months: "6 months" is the reference month and the 5 before it.
-- Category sets are bit masks: bit i is element i+1 of the $chronic, $hrsn, $services lists.
CREATE OR REPLACE TABLE features.event_month AS
WITH person_month AS (
    SELECT
        person_id,
        month_index AS m,
        count(*) FILTER (WHERE event_type = 'ed_visit') AS ed,
        count(*) FILTER (WHERE event_type = 'inpatient_stay') AS ip,
        count(*) FILTER (
            WHERE event_type IN ('ed_visit', 'inpatient_stay')
                AND category IN ('behavioral_health', 'substance_use', 'overdose')
        ) AS bh_acute,
        count(*) FILTER (
            WHERE event_type = 'overdose'
                OR (event_type IN ('ed_visit', 'inpatient_stay') AND category = 'overdose')
        ) AS overdoses,
        count(*) FILTER (WHERE event_type = 'service') AS services,
        count(*) FILTER (WHERE event_type = 'referral') AS referrals,
        count(*) FILTER (
            WHERE event_type IN ('overdose', 'reportable_condition', 'immunization')
        ) AS public_health,
        count(*) FILTER (WHERE event_type = 'reportable_condition') AS reportable,
        count(*) FILTER (WHERE event_type = 'immunization') AS immunizations,
        coalesce(bit_or(CASE WHEN event_type = 'hrsn_screening' AND result = 'positive'
            THEN CAST(1 AS BIGINT) << (list_position($hrsn, category) - 1) END), 0) AS hrsn_bits,
        coalesce(bit_or(CASE WHEN event_type = 'service'
            THEN CAST(1 AS BIGINT) << (list_position($services, category) - 1) END), 0)
            AS service_bits,
        coalesce(bit_or(CASE WHEN event_type = 'chronic_condition'
            THEN CAST(1 AS BIGINT) << (list_position($chronic, category) - 1) END), 0)
            AS chronic_bits,
        bool_or(event_type = 'death') AS death
    FROM _person_events
    GROUP BY ALL
),
windowed AS (
    SELECT
        d.month_index AS m,
        p.person_id,
        sum(p.ed) FILTER (WHERE p.m > d.month_index - 6) AS ed_visits_6m,
        sum(p.ed) AS ed_visits_12m,
        sum(p.ip) FILTER (WHERE p.m > d.month_index - 6) AS inpatient_admissions_6m,
        sum(p.ip) AS inpatient_admissions_12m,
        sum(p.bh_acute) AS bh_acute_visits_12m,
        sum(p.overdoses) AS overdose_events_12m,
        sum(p.services) AS services_12m,
        sum(p.referrals) AS referrals_12m,
        sum(p.public_health) AS public_health_events_12m,
        sum(p.reportable) > 0 AS reportable_condition_12m,
        sum(p.immunizations) > 0 AS immunization_12m,
        bit_or(p.hrsn_bits) AS hrsn_bits,
        bit_or(p.service_bits) AS service_bits
    FROM person_month AS p
    JOIN features.reference_months AS d
        ON p.m <= d.month_index AND p.m > d.month_index - 12
    GROUP BY ALL
),
ever AS (
    SELECT d.month_index AS m, p.person_id, bit_or(p.chronic_bits) AS chronic_bits,
        bool_or(p.death) AS death
    FROM person_month AS p
    JOIN features.reference_months AS d ON p.m <= d.month_index
    WHERE p.chronic_bits <> 0 OR p.death
    GROUP BY ALL
)
SELECT
    coalesce(w.m, e.m) AS month_index,
    coalesce(w.person_id, e.person_id) AS person_id,
    w.* EXCLUDE (m, person_id),
    coalesce(e.chronic_bits, 0) AS chronic_bits,
    coalesce(e.death, false) AS deceased
FROM windowed AS w
FULL OUTER JOIN ever AS e ON e.m = w.m AND e.person_id = w.person_id
