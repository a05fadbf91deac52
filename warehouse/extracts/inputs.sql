-- Working copies of the inputs, made once per build: the staging views re-rank every row each
-- time they are read, and every partner's extract reads them several times. Only persons in
-- some segment can be in an extract, so only their records (of every partner) are kept.
CREATE OR REPLACE TEMP TABLE extract_current_persons AS
SELECT partner_id, record_pseudonym, consented, part2_consent
FROM staging.current_persons;

CREATE OR REPLACE TEMP TABLE extract_records AS
SELECT r.partner_id, r.record_pseudonym, r.person_key, p.consented, p.part2_consent
FROM linkage.person_records AS r
INNER JOIN extract_current_persons AS p
    ON p.partner_id = r.partner_id AND p.record_pseudonym = r.record_pseudonym
WHERE r.person_key IN (SELECT person_key FROM segments.membership);

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
FROM extract_current_persons
WHERE consented IS TRUE;

-- Linked persons with any record that is not consented (consent rules, withholding).
CREATE OR REPLACE TEMP TABLE extract_unconsented AS
SELECT DISTINCT person_key
FROM extract_records
WHERE consented IS NOT TRUE;

-- Where a linked person has an explicit-consent (42 CFR Part 2) event whose record lacks
-- part2_consent, by the partner that holds it. $explicit is not usable in a multi-statement
-- script, so this keeps part2-flagged events and every service/referral; cohort.sql narrows the
-- categories to the explicit-consent ones.
CREATE OR REPLACE TEMP TABLE extract_part2_sources AS
SELECT DISTINCT person_key, partner_id, event_type, category, part2
FROM extract_events
WHERE part2_consent IS NOT TRUE
  AND (part2 IS TRUE OR event_type IN ('service', 'referral'));
