-- Route the events of the packages in alert_batch to the subscribed partners' own records of
-- the same person, with one decision per (event, alert type, recipient record).
-- Inputs (temp tables/views): alert_batch(submission_id), alert_subscriptions(recipient,
-- alert_type, from_sector, min_link_probability, max_event_age_days), alert_partners(partner_id,
-- sector, facility). Parameters: $today, $explicit_categories (VARCHAR[]),
-- $withhold_unconsented (BOOLEAN).
CREATE OR REPLACE TEMP TABLE alert_routes AS
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
    JOIN staging.current_persons AS cp
        ON cp.partner_id = r.partner_id AND cp.record_pseudonym = r.record_pseudonym
    WHERE r.person_key IN (SELECT s.person_key FROM source AS s)
),
unconsented AS (
    SELECT DISTINCT person_key FROM person_records WHERE NOT coalesce(consented, false)
),
strength AS (
    SELECT partner_id, record_pseudonym, max(match_probability) AS best
    FROM (
        SELECT partner_id_l AS partner_id, record_pseudonym_l AS record_pseudonym, match_probability
        FROM linkage.links
        UNION ALL
        SELECT partner_id_r, record_pseudonym_r, match_probability FROM linkage.links
    ) AS l
    SEMI JOIN person_records AS r USING (partner_id, record_pseudonym)
    GROUP BY ALL
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
        coalesce(
            greatest(dl.match_probability, dr.match_probability),
            least(coalesce(ss.best, 0), coalesce(rs.best, 0))
        ) AS link_probability,
        s.person_key IN (SELECT u.person_key FROM unconsented AS u) AS person_unconsented
    FROM source AS s
    JOIN person_records AS r ON r.person_key = s.person_key AND r.partner_id <> s.partner_id
    JOIN alert_subscriptions AS sub
        ON sub.recipient = r.partner_id
        AND sub.alert_type = s.alert_type
        AND sub.from_sector = s.source_sector
    LEFT JOIN strength AS ss
        ON ss.partner_id = s.partner_id AND ss.record_pseudonym = s.record_pseudonym
    LEFT JOIN strength AS rs
        ON rs.partner_id = r.partner_id AND rs.record_pseudonym = r.record_pseudonym
    LEFT JOIN linkage.links AS dl
        ON dl.partner_id_l = s.partner_id AND dl.record_pseudonym_l = s.record_pseudonym
        AND dl.partner_id_r = r.partner_id AND dl.record_pseudonym_r = r.record_pseudonym
    LEFT JOIN linkage.links AS dr
        ON dr.partner_id_r = s.partner_id AND dr.record_pseudonym_r = s.record_pseudonym
        AND dr.partner_id_l = r.partner_id AND dr.record_pseudonym_l = r.record_pseudonym
)
SELECT
    c.*,
    CASE
        WHEN NOT coalesce(c.source_consented, false) THEN 'withheld_consent'
        WHEN NOT coalesce(c.recipient_consented, false) THEN 'withheld_consent'
        WHEN $withhold_unconsented AND c.person_unconsented THEN 'withheld_consent'
        WHEN c.explicit_consent AND NOT coalesce(c.source_part2_consent, false)
            THEN 'withheld_part2'
        WHEN c.alert_date < $today - to_days(c.max_event_age_days) THEN 'stale'
        WHEN c.link_probability < c.min_link_probability THEN 'uncertain'
        WHEN EXISTS (
            SELECT 1 FROM alerts.sent AS a
            WHERE a.recipient = c.recipient
                AND a.recipient_pseudonym = c.recipient_pseudonym
                AND a.source_partner = c.source_partner
                AND a.event_id = c.event_id
                AND a.alert_type = c.alert_type
        ) THEN 'duplicate'
        WHEN row_number() OVER (
            PARTITION BY c.recipient, c.recipient_pseudonym, c.source_partner, c.event_id,
                c.alert_type
            ORDER BY c.submission_id
        ) > 1 THEN 'duplicate'
        ELSE 'send'
    END AS decision
FROM candidates AS c;
