-- Synthetic hub rows for benchmarks/extracts.py (ids only; statements split on ';' + newline).
CREATE SCHEMA IF NOT EXISTS linkage;
CREATE SCHEMA IF NOT EXISTS segments;
CREATE TEMP TABLE partners AS
    SELECT unnest($partners) AS partner_id, generate_subscripts($partners, 1) - 1 AS idx;
INSERT INTO staging.submissions (submission_id, partner_id, state, received_at, ingested_at,
    persons_rows, events_rows, key_fingerprint, spec_version, manifest_sha256, manifest)
SELECT partner_id || '-20261101T000000Z-00000001', partner_id, 'ingested', $at, $at, 0, 0,
    'ab', '1.0', sha256(partner_id), '{}'
FROM partners;
CREATE TEMP TABLE recs AS
SELECT i, p.partner_id, sha256(p.partner_id || '/' || i) AS record_pseudonym,
    'P' || lpad(CAST(i // 2 AS VARCHAR), 16, '0') AS person_key,
    random() > 0.05 AS consented, random() > 0.5 AS part2_consent
FROM range($records) t(i) JOIN partners p ON p.idx = i % 5;
INSERT INTO staging.persons (submission_id, partner_id, record_pseudonym, sex, consented,
    part2_consent)
SELECT partner_id || '-20261101T000000Z-00000001', partner_id, record_pseudonym, 'F', consented,
    part2_consent FROM recs;
INSERT INTO staging.events (submission_id, partner_id, record_pseudonym, event_id, event_type,
    event_date, category, result, part2)
SELECT r.partner_id || '-20261101T000000Z-00000001', r.partner_id, r.record_pseudonym,
    md5(r.record_pseudonym || k), e.event_type, DATE '2026-11-20' - CAST(k * 40 AS INTEGER),
    e.category, e.result, e.category = 'substance_use_treatment'
FROM recs r, range(4) t(k),
    (SELECT * FROM (VALUES (0, 'ed_visit', 'injury', NULL),
        (1, 'service', 'housing_navigation', NULL),
        (2, 'hrsn_screening', 'food_insecurity', 'positive'),
        (3, 'service', 'substance_use_treatment', NULL)) v(k2, event_type, category, result)) e
WHERE e.k2 = (r.i + k) % 4;
CREATE TABLE linkage.person_records AS
    SELECT partner_id, record_pseudonym, person_key, 'run1' AS run_id FROM recs;
CREATE TABLE segments.membership AS
    SELECT DISTINCT person_key, $segments[CAST(1 + hash(person_key) % 4 AS BIGINT)] AS segment,
        '1' AS segment_version
    FROM recs WHERE hash(person_key) % 100 < 8;
