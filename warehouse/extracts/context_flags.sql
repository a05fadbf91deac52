-- Yes/no context for the recipient's own consented records (working tables of inputs.sql),
-- derived from OTHER partners' consented records of the same linked person. Events that need explicit consent (flagged part2
-- by the submitting partner, or a service/referral in an explicit-consent category) count only
-- when the source record has part2_consent. Only the flags named in $flags are returned.
WITH mine AS (
    SELECT r.record_pseudonym, r.person_key
    FROM extract_records AS r
    INNER JOIN (SELECT unnest($cohort) AS record_pseudonym) AS c
        ON c.record_pseudonym = r.record_pseudonym
    WHERE r.partner_id = $partner AND r.consented IS TRUE
),
sectors AS (
    SELECT unnest($partner_ids) AS partner_id, unnest($partner_sectors) AS sector
),
elsewhere AS (
    SELECT
        m.record_pseudonym,
        s.sector,
        e.event_type,
        e.category,
        e.result,
        e.event_date,
        (
            e.part2 IS TRUE
            OR (e.event_type IN ('service', 'referral') AND list_contains($explicit, e.category))
        ) AS needs_consent,
        e.part2_consent IS TRUE AS has_part2_consent
    FROM mine AS m
    INNER JOIN extract_events AS e
        ON e.person_key = m.person_key AND e.partner_id <> $partner
    LEFT JOIN sectors AS s ON s.partner_id = e.partner_id
    WHERE e.consented IS TRUE
      AND e.event_date <= CAST($as_of AS DATE)
),
usable AS (
    SELECT
        record_pseudonym,
        sector,
        event_type,
        category,
        result,
        date_diff('day', event_date, CAST($as_of AS DATE)) AS age_days
    FROM elsewhere
    WHERE NOT needs_consent OR has_part2_consent
),
flags AS (
    SELECT record_pseudonym, 'seen_by_housing_cbo_90d' AS flag
    FROM usable WHERE sector = 'cbo_housing' AND age_days < 90
    UNION ALL
    SELECT record_pseudonym, 'seen_by_food_cbo_90d'
    FROM usable WHERE sector = 'cbo_food' AND age_days < 90
    UNION ALL
    SELECT record_pseudonym, 'seen_by_hospital_90d'
    FROM usable WHERE sector = 'hospital' AND age_days < 90
    UNION ALL
    SELECT record_pseudonym, 'ed_visit_elsewhere_90d'
    FROM usable WHERE event_type = 'ed_visit' AND age_days < 90
    UNION ALL
    SELECT record_pseudonym, 'inpatient_stay_elsewhere_90d'
    FROM usable WHERE event_type = 'inpatient_stay' AND age_days < 90
    UNION ALL
    SELECT record_pseudonym, 'housing_instability_positive_elsewhere'
    FROM usable
    WHERE event_type = 'hrsn_screening' AND category = 'housing_instability'
      AND result = 'positive' AND age_days < 365
    UNION ALL
    SELECT record_pseudonym, 'food_insecurity_positive_elsewhere'
    FROM usable
    WHERE event_type = 'hrsn_screening' AND category = 'food_insecurity'
      AND result = 'positive' AND age_days < 365
    UNION ALL
    SELECT record_pseudonym, 'overdose_reported_365d'
    FROM usable
    WHERE (event_type = 'overdose' OR (event_type = 'ed_visit' AND category = 'overdose'))
      AND age_days < 365
    UNION ALL
    SELECT record_pseudonym, 'case_management_elsewhere_90d'
    FROM usable WHERE event_type = 'service' AND category = 'case_management' AND age_days < 90
    UNION ALL
    SELECT record_pseudonym, 'behavioral_health_services_elsewhere_365d'
    FROM usable
    WHERE event_type = 'service' AND category = 'behavioral_health_services' AND age_days < 365
    UNION ALL
    SELECT record_pseudonym, 'substance_use_treatment_elsewhere_365d'
    FROM usable
    WHERE event_type = 'service' AND category = 'substance_use_treatment' AND age_days < 365
)
SELECT DISTINCT record_pseudonym, flag
FROM flags
WHERE list_contains($flags, flag)
ORDER BY record_pseudonym, flag
