-- Decide each candidate of alert_candidates, with its link certainty from alert_certainty
-- (source record, recipient record, link_probability: the widest path between them).
-- Parameters: $today, $withhold_unconsented (BOOLEAN).
CREATE OR REPLACE TEMP TABLE alert_routes AS
WITH c AS (
    SELECT a.*, coalesce(k.link_probability, 0) AS link_probability
    FROM alert_candidates AS a
    LEFT JOIN alert_certainty AS k
        ON k.source_partner = a.source_partner
        AND k.source_pseudonym = a.source_pseudonym
        AND k.recipient = a.recipient
        AND k.recipient_pseudonym = a.recipient_pseudonym
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
FROM c;
