-- Synthetic hub inputs (staging.current_persons, staging.current_events, linkage.person_records)
-- for tests and benchmarks, generated in SQL. Only synthetic pseudonyms and keys.
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS linkage;
SELECT setseed($seed);
CREATE OR REPLACE TEMP TABLE _people AS
SELECT
    i AS pid,
    'P' || lpad(lower(to_hex(i)), 16, '0') AS person_key,
    random() ** 3 AS need,
    CASE WHEN random() < 0.2 THEN 1935 + floor(random() * 20)::INTEGER
        ELSE 1940 + floor(random() * 85)::INTEGER END AS birth_year,
    list_element(['F', 'M', 'F', 'M', 'U'], 1 + floor(random() * 5)::INTEGER) AS sex,
    list_element(['030', '030', '031', '031', '032', '033', '034', '036', '037', '038'],
        1 + floor(random() * 10)::INTEGER) AS zip3
FROM range($persons) AS t(i);

CREATE OR REPLACE TEMP TABLE _partners AS
SELECT * FROM (VALUES
    ('mercy_hospital', 'hospital', 0.55, 0.35),
    ('riverside_health', 'hospital', 0.35, 0.35),
    ('county_public_health', 'public_health', 0.15, 0.45),
    ('harbor_housing', 'cbo_housing', 0.05, 0.55),
    ('northside_food', 'cbo_food', 0.10, 0.45)
) AS t(partner_id, sector, base_rate, need_rate);

CREATE OR REPLACE TEMP TABLE _records AS
SELECT
    p.*,
    r.partner_id,
    r.sector,
    sha256(r.partner_id || ':' || p.pid::VARCHAR || ':' || $seed::VARCHAR) AS record_pseudonym
FROM _people AS p
CROSS JOIN _partners AS r
WHERE random() < r.base_rate + r.need_rate * p.need;

CREATE OR REPLACE TABLE staging.current_persons AS
SELECT
    'sub-' || partner_id AS submission_id,
    partner_id,
    record_pseudonym,
    birth_year::SMALLINT AS birth_year,
    ($as_of_year - birth_year) >= 90 AS age_90_plus,
    sex,
    zip3,
    random() > 0.03 AS consented,
    random() > 0.5 AS part2_consent
FROM _records;

CREATE OR REPLACE TABLE linkage.person_records AS
SELECT partner_id, record_pseudonym, person_key, 'run-sample' AS run_id FROM _records;

CREATE OR REPLACE TEMP TABLE _event_slots AS
SELECT
    r.partner_id,
    r.sector,
    r.record_pseudonym,
    r.need,
    unnest(range(1 + floor(random() * (1 + 12 * r.need))::INTEGER)) AS slot
FROM _records AS r;

CREATE OR REPLACE TABLE staging.current_events AS
WITH typed AS (
    SELECT
        *,
        random() AS u,
        random() AS v,
        ($as_of::DATE - floor(random() * 730)::INTEGER) AS event_date
    FROM _event_slots
),
chosen AS (
    SELECT
        *,
        CASE sector
            WHEN 'hospital' THEN CASE
                WHEN u < 0.45 THEN 'ed_visit'
                WHEN u < 0.65 THEN 'inpatient_stay'
                ELSE 'chronic_condition' END
            WHEN 'public_health' THEN CASE
                WHEN u < 0.35 + 0.3 * need THEN 'overdose'
                WHEN u < 0.7 THEN 'reportable_condition'
                WHEN u < 0.995 THEN 'immunization'
                ELSE 'death' END
            ELSE CASE
                WHEN u < 0.4 THEN 'hrsn_screening'
                WHEN u < 0.9 THEN 'service'
                ELSE 'referral' END
        END AS event_type
    FROM typed
)
SELECT
    'sub-' || partner_id AS submission_id,
    partner_id,
    record_pseudonym,
    md5(record_pseudonym || ':' || slot::VARCHAR) AS event_id,
    event_type,
    event_date,
    CASE WHEN event_type = 'inpatient_stay' THEN event_date + 3 END AS end_date,
    CASE
        WHEN event_type IN ('ed_visit', 'inpatient_stay', 'death') THEN list_element(
            ['cardiometabolic', 'respiratory', 'behavioral_health', 'substance_use', 'overdose',
             'injury', 'infection', 'maternal', 'other'], 1 + floor(v * 9)::INTEGER)
        WHEN event_type = 'chronic_condition' THEN list_element(
            ['diabetes', 'heart_failure', 'copd', 'asthma', 'ckd', 'hypertension', 'depression',
             'serious_mental_illness', 'substance_use_disorder', 'hiv'],
            1 + floor(v * 10)::INTEGER)
        WHEN event_type = 'reportable_condition' THEN list_element(
            ['hepatitis_c', 'tuberculosis', 'syphilis', 'hiv', 'covid19', 'other'],
            1 + floor(v * 6)::INTEGER)
        WHEN event_type = 'immunization' THEN list_element(
            ['influenza', 'covid19', 'pneumococcal', 'hepatitis_b', 'other'],
            1 + floor(v * 5)::INTEGER)
        WHEN event_type = 'hrsn_screening' THEN CASE sector
            WHEN 'cbo_housing' THEN list_element(['housing_instability', 'housing_instability',
                'food_insecurity', 'utilities', 'transportation', 'interpersonal_safety'],
                1 + floor(v * 6)::INTEGER)
            ELSE list_element(['food_insecurity', 'food_insecurity', 'housing_instability',
                'transportation', 'utilities'], 1 + floor(v * 5)::INTEGER) END
        WHEN event_type IN ('service', 'referral') THEN CASE sector
            WHEN 'cbo_housing' THEN list_element(['housing_navigation', 'rental_assistance',
                'emergency_shelter', 'case_management', 'behavioral_health_services',
                'substance_use_treatment', 'legal_aid'], 1 + floor(v * 7)::INTEGER)
            ELSE list_element(['food_pantry', 'medically_tailored_meals', 'snap_enrollment',
                'case_management', 'transportation_assistance'], 1 + floor(v * 5)::INTEGER) END
    END AS category,
    CASE WHEN event_type = 'hrsn_screening' THEN
        CASE WHEN random() < 0.3 + 0.6 * need THEN 'positive' ELSE 'negative' END
    END AS result,
    NULL::VARCHAR AS program,
    event_type = 'service' AND v > 0.7 AND sector = 'cbo_housing' AS part2
FROM chosen;

DROP TABLE _event_slots;
DROP TABLE _records;
DROP TABLE _partners;
DROP TABLE _people;
