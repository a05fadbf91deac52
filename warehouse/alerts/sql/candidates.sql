-- Route the events of the packages in alert_batch to the subscribed partners' own records of
-- the same person: one candidate per (event, alert type, recipient record). decide.sql then
-- decides each, with the link certainty that warehouse/alerts/certainty.py computes.
-- Inputs (temp tables/views): alert_batch(submission_id), scoped_rows (the current rows of
-- the persons' records: scope_keys.sql, linkage.records.open_scoped_rows), alert_subscriptions(recipient,
-- alert_type, from_sector, min_link_probability, max_event_age_days), alert_partners(partner_id,
-- sector, facility). Parameter: $explicit_categories (VARCHAR[]).
CREATE OR REPLACE TEMP TABLE alert_candidates AS
WITH ev AS (
    SELECT e.*
    FROM staging.events AS e
    SEMI JOIN alert_batch AS b ON b.submission_id = e.submission_id
),
typed AS (
    SELECT ev.*, 'ed_visit' AS alert_type, ev.event_date AS alert_date
    FROM ev WHERE ev.event_type = 'ed_visit'
    UNION ALL
    SELECT ev.*, 'admission', ev.event_date FROM ev WHERE ev.event_type = 'inpatient_stay'
    UNION ALL
    SELECT ev.*, 'discharge', ev.end_date
    FROM ev WHERE ev.event_type = 'inpatient_stay' AND ev.end_date IS NOT NULL
    UNION ALL
    SELECT ev.*, 'positive_screening', ev.event_date
    FROM ev WHERE ev.event_type = 'hrsn_screening' AND ev.result = 'positive'
    UNION ALL
    SELECT ev.*, 'crisis_contact', ev.event_date FROM ev WHERE ev.event_type = 'crisis_contact'
    UNION ALL
    SELECT ev.*, 'eviction_notice', ev.event_date FROM ev WHERE ev.event_type = 'eviction_notice'
    UNION ALL
    SELECT ev.*, 'service_start', ev.event_date FROM ev WHERE ev.event_type = 'service'
    UNION ALL
    SELECT ev.*, 'service_end', ev.end_date
    FROM ev WHERE ev.event_type = 'service' AND ev.end_date IS NOT NULL
),
source AS (
    SELECT
        t.*,
        src.sector AS source_sector,
        src.facility,
        sp.consented AS source_consented,
        sp.part2_consent AS source_part2_consent,
        pr.person_key
    FROM typed AS t
    JOIN alert_partners AS src ON src.partner_id = t.partner_id
    JOIN staging.persons AS sp
        ON sp.submission_id = t.submission_id AND sp.record_pseudonym = t.record_pseudonym
    LEFT JOIN linkage.person_records AS pr
        ON pr.partner_id = t.partner_id AND pr.record_pseudonym = t.record_pseudonym
),
person_records AS (
    SELECT r.person_key, r.partner_id, r.record_pseudonym, cp.consented
    FROM linkage.person_records AS r
    JOIN scoped_rows AS cp
        ON cp.partner_id = r.partner_id AND cp.record_pseudonym = r.record_pseudonym
    WHERE r.person_key IN (SELECT s.person_key FROM source AS s)
),
unconsented AS (
    SELECT DISTINCT person_key FROM person_records WHERE NOT coalesce(consented, false)
),
candidates AS (
    SELECT
        s.submission_id,
        s.partner_id AS source_partner,
        s.record_pseudonym AS source_pseudonym,
        s.event_id,
        s.alert_type,
        s.alert_date,
        s.source_sector,
        s.facility,
        coalesce(s.part2, false) OR coalesce(list_contains($explicit_categories, s.category), false)
            AS explicit_consent,
        s.source_consented,
        s.source_part2_consent,
        s.person_key,
        r.partner_id AS recipient,
        r.record_pseudonym AS recipient_pseudonym,
        r.consented AS recipient_consented,
        sub.min_link_probability,
        sub.max_event_age_days,
        s.person_key IN (SELECT u.person_key FROM unconsented AS u) AS person_unconsented
    FROM source AS s
    JOIN person_records AS r ON r.person_key = s.person_key AND r.partner_id <> s.partner_id
    JOIN alert_subscriptions AS sub
        ON sub.recipient = r.partner_id
        AND sub.alert_type = s.alert_type
        AND sub.from_sector = s.source_sector
)
SELECT * FROM candidates;
