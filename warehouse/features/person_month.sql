-- Person-level features at every reference month (the last one ends at as_of), computed on
-- read from the compact tables features.persons and features.event_month (dense: a row per
-- person and reference month).
-- Bit positions follow the order of CHRONIC_CONDITIONS, HRSN_DOMAINS and SERVICES in
-- contract/vocabulary.py (tests check the correspondence).
CREATE OR REPLACE VIEW features.person_month AS
WITH joined AS (
    -- Decode the packed lanes and bits of features.event_month (see event_features.sql).
    SELECT
        d.month,
        d.as_of AS as_of_date,
        p.*,
        (f.counts_6m & 4294967295) AS ed_visits_6m,
        (f.counts & 4294967295) AS ed_visits_12m,
        (f.counts_6m >> 32) AS inpatient_admissions_6m,
        (f.counts >> 32) & 4294967295 AS inpatient_admissions_12m,
        (f.counts >> 64) & 4294967295 AS bh_acute_visits_12m,
        (f.counts >> 96) AS overdose_events_12m,
        (f.more_counts & 4294967295) AS services_12m,
        (f.more_counts >> 32) & 4294967295 AS referrals_12m,
        (f.more_counts >> 64) AS public_health_events_12m,
        (f.flags & 255) AS hrsn_bits,
        (f.flags >> 8) & 65535 AS service_bits,
        (f.flags & 16777216) <> 0 AS reportable_condition_12m,
        (f.flags & 33554432) <> 0 AS immunization_12m,
        f.chronic_bits,
        f.deceased
    FROM features.event_month AS f
    JOIN features.persons AS p ON p.person_id = f.person_id
    JOIN features.reference_months AS d ON d.month_index = f.month_index
),
aged AS (
    SELECT
        *,
        CASE
            WHEN age_90_plus THEN 90
            WHEN birth_year IS NULL THEN NULL
            ELSE least(greatest(year(as_of_date) - birth_year, 0), 90)
        END AS age
    FROM joined
)
SELECT
    month,
    as_of_date,
    person_key,
    coalesce(ed_visits_6m, 0)::INTEGER AS ed_visits_6m,
    coalesce(ed_visits_12m, 0)::INTEGER AS ed_visits_12m,
    coalesce(inpatient_admissions_6m, 0)::INTEGER AS inpatient_admissions_6m,
    coalesce(inpatient_admissions_12m, 0)::INTEGER AS inpatient_admissions_12m,
    coalesce(bh_acute_visits_12m, 0)::INTEGER AS bh_acute_visits_12m,
    coalesce(bit_count(chronic_bits), 0)::INTEGER AS chronic_condition_count,
    coalesce(chronic_bits & 1 <> 0, false) AS has_diabetes,
    coalesce(chronic_bits & 2 <> 0, false) AS has_heart_failure,
    coalesce(chronic_bits & 4 <> 0, false) AS has_copd,
    coalesce(chronic_bits & 8 <> 0, false) AS has_asthma,
    coalesce(chronic_bits & 16 <> 0, false) AS has_ckd,
    coalesce(chronic_bits & 32 <> 0, false) AS has_hypertension,
    coalesce(chronic_bits & 64 <> 0, false) AS has_depression,
    coalesce(chronic_bits & 128 <> 0, false) AS has_serious_mental_illness,
    coalesce(chronic_bits & 256 <> 0, false) AS has_substance_use_disorder,
    coalesce(chronic_bits & 512 <> 0, false) AS has_hiv,
    coalesce(
        chronic_bits & (64 | 128 | 256) <> 0
        OR bh_acute_visits_12m > 0
        OR service_bits & (512 | 1024) <> 0,
        false
    ) AS behavioral_health_flag,
    coalesce(overdose_events_12m, 0) > 0 AS overdose_flag,
    coalesce(overdose_events_12m, 0)::INTEGER AS overdose_events_12m,
    coalesce(hrsn_bits & 1 <> 0, false) AS hrsn_housing_instability,
    coalesce(hrsn_bits & 2 <> 0, false) AS hrsn_food_insecurity,
    coalesce(hrsn_bits & 4 <> 0, false) AS hrsn_transportation,
    coalesce(hrsn_bits & 8 <> 0, false) AS hrsn_utilities,
    coalesce(hrsn_bits & 16 <> 0, false) AS hrsn_interpersonal_safety,
    coalesce(bit_count(hrsn_bits), 0)::INTEGER AS hrsn_domain_count,
    coalesce(services_12m, 0)::INTEGER AS services_12m,
    coalesce(referrals_12m, 0)::INTEGER AS referrals_12m,
    coalesce(service_bits & (1 | 2 | 4) <> 0, false) AS housing_services_12m,
    coalesce(service_bits & (8 | 16 | 32) <> 0, false) AS food_services_12m,
    coalesce(service_bits & (512 | 1024) <> 0, false) AS bh_services_12m,
    coalesce(service_bits & 256 <> 0, false) AS case_management_12m,
    coalesce(public_health_events_12m, 0)::INTEGER AS public_health_events_12m,
    coalesce(reportable_condition_12m, false) AS reportable_condition_12m,
    coalesce(immunization_12m, false) AS immunization_12m,
    coalesce(deceased, false) AS deceased,
    n_partners,
    n_sectors,
    sector_hospital,
    sector_public_health,
    sector_cbo_housing,
    sector_cbo_food,
    sector_cbo_social,
    concat_ws('+',
        CASE WHEN sector_hospital THEN 'hospital' END,
        CASE WHEN sector_public_health THEN 'public_health' END,
        CASE WHEN sector_cbo_housing THEN 'cbo_housing' END,
        CASE WHEN sector_cbo_food THEN 'cbo_food' END,
        CASE WHEN sector_cbo_social THEN 'cbo_social' END
    ) AS sector_combination,
    age::INTEGER AS age,
    CASE
        WHEN age IS NULL THEN 'unknown'
        WHEN age >= 90 THEN '90+'
        WHEN age >= 65 THEN '65-89'
        WHEN age >= 50 THEN '50-64'
        WHEN age >= 35 THEN '35-49'
        WHEN age >= 18 THEN '18-34'
        ELSE '0-17'
    END AS age_band,
    sex,
    zip3,
    all_records_consented
FROM aged
