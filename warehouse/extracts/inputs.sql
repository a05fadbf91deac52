-- Working copies of the inputs, made once per build: the staging views re-rank every row each
-- time they are read, and every partner's extract reads them several times.
CREATE OR REPLACE TEMP TABLE extract_records AS
SELECT r.partner_id, r.record_pseudonym, r.person_key, p.consented, p.part2_consent
FROM linkage.person_records AS r
INNER JOIN staging.current_persons AS p
    ON p.partner_id = r.partner_id AND p.record_pseudonym = r.record_pseudonym;

CREATE OR REPLACE TEMP TABLE extract_events AS
SELECT
    r.partner_id,
    r.person_key,
    r.consented,
    r.part2_consent,
    e.event_type,
    e.category,
    e.result,
    e.event_date,
    e.part2
FROM extract_records AS r
INNER JOIN staging.current_events AS e
    ON e.partner_id = r.partner_id AND e.record_pseudonym = r.record_pseudonym;

-- For the post-condition: the current consented records, straight from staging.
CREATE OR REPLACE TEMP TABLE extract_consented AS
SELECT DISTINCT partner_id, record_pseudonym
FROM staging.current_persons
WHERE consented IS TRUE;
