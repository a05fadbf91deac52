-- Events of linked persons up to the last reference date, with the sector of the submitting partner.
CREATE OR REPLACE TEMP TABLE _person_events AS
SELECT
    p.person_id,
    year(e.event_date) * 12 + month(e.event_date) - 1 AS month_index,
    s.sector,
    e.event_type,
    e.event_date,
    e.category,
    e.result
FROM staging.current_events AS e
JOIN linkage.person_records AS r
    ON r.partner_id = e.partner_id AND r.record_pseudonym = e.record_pseudonym
JOIN features.persons AS p ON p.person_key = r.person_key
LEFT JOIN _partner_sectors AS s ON s.partner_id = e.partner_id
WHERE e.event_date <= $last_as_of
