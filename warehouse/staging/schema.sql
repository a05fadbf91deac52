-- Staging schema of hub.duckdb: what partners submitted, encodings and payload only.
-- Idempotent: run at the start of every ingest.
CREATE SCHEMA IF NOT EXISTS staging;

CREATE TABLE IF NOT EXISTS staging.submissions (
    submission_id VARCHAR PRIMARY KEY,
    partner_id VARCHAR NOT NULL,
    state VARCHAR NOT NULL CHECK (state IN ('ingested', 'superseded', 'deleted')),
    received_at TIMESTAMPTZ NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ,
    supersedes VARCHAR,
    superseded_by VARCHAR,
    persons_rows BIGINT NOT NULL,
    events_rows BIGINT NOT NULL,
    key_fingerprint VARCHAR NOT NULL,
    spec_version VARCHAR NOT NULL,
    manifest_sha256 VARCHAR NOT NULL UNIQUE,
    manifest JSON NOT NULL,
    warnings INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS staging.persons (
    submission_id VARCHAR NOT NULL,
    partner_id VARCHAR NOT NULL,
    record_pseudonym VARCHAR NOT NULL,
    birth_year SMALLINT,
    age_90_plus BOOLEAN,
    sex VARCHAR,
    zip3 VARCHAR,
    consented BOOLEAN,
    part2_consent BOOLEAN,
    tok_name_dob VARCHAR,
    tok_first_dob VARCHAR,
    tok_last_dob VARCHAR,
    tok_fullname VARCHAR,
    tok_first_addr VARCHAR,
    tok_dob_zip5_sex VARCHAR,
    tok_phone VARCHAR,
    tok_ssn VARCHAR,
    bf_first_0 BIGINT,
    bf_first_1 BIGINT,
    bf_first_2 BIGINT,
    bf_first_3 BIGINT,
    bf_first_4 BIGINT,
    bf_first_5 BIGINT,
    bf_first_6 BIGINT,
    bf_first_7 BIGINT,
    bf_last_0 BIGINT,
    bf_last_1 BIGINT,
    bf_last_2 BIGINT,
    bf_last_3 BIGINT,
    bf_last_4 BIGINT,
    bf_last_5 BIGINT,
    bf_last_6 BIGINT,
    bf_last_7 BIGINT,
    bf_addr_0 BIGINT,
    bf_addr_1 BIGINT,
    bf_addr_2 BIGINT,
    bf_addr_3 BIGINT,
    bf_addr_4 BIGINT,
    bf_addr_5 BIGINT,
    bf_addr_6 BIGINT,
    bf_addr_7 BIGINT,
    bf_dob_0 BIGINT,
    bf_dob_1 BIGINT,
    bf_dob_2 BIGINT,
    bf_dob_3 BIGINT,
    bf_dob_4 BIGINT,
    bf_dob_5 BIGINT,
    bf_dob_6 BIGINT,
    bf_dob_7 BIGINT,
    bf_ssn_0 BIGINT,
    bf_ssn_1 BIGINT,
    bf_ssn_2 BIGINT,
    bf_ssn_3 BIGINT,
    bf_ssn_4 BIGINT,
    bf_ssn_5 BIGINT,
    bf_ssn_6 BIGINT,
    bf_ssn_7 BIGINT
);

CREATE TABLE IF NOT EXISTS staging.events (
    submission_id VARCHAR NOT NULL,
    partner_id VARCHAR NOT NULL,
    record_pseudonym VARCHAR NOT NULL,
    event_id VARCHAR NOT NULL,
    event_type VARCHAR NOT NULL,
    event_date DATE NOT NULL,
    end_date DATE,
    category VARCHAR,
    result VARCHAR,
    program VARCHAR,
    part2 BOOLEAN
);

-- Per submission: non-null rate of each tracked column and row count per file (drift history).
CREATE TABLE IF NOT EXISTS staging.column_profiles (
    submission_id VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL,
    value DOUBLE NOT NULL
);

-- Every outcome of every delivery that reached a decision: ingested, quarantined, duplicate.
-- checks holds check names, files, columns, row numbers and counts: never a value.
CREATE TABLE IF NOT EXISTS staging.deliveries (
    submission_id VARCHAR NOT NULL,
    partner_id VARCHAR NOT NULL,
    outcome VARCHAR NOT NULL CHECK (outcome IN ('ingested', 'quarantined', 'duplicate')),
    decided_at TIMESTAMPTZ NOT NULL,
    manifest_sha256 VARCHAR,
    location VARCHAR,
    summary VARCHAR,
    checks JSON
);

CREATE OR REPLACE VIEW staging.current_persons AS
SELECT p.*
FROM staging.persons AS p
JOIN staging.submissions AS s ON s.submission_id = p.submission_id
WHERE s.state = 'ingested'
QUALIFY row_number() OVER (
    PARTITION BY p.partner_id, p.record_pseudonym
    ORDER BY s.ingested_at DESC, s.submission_id DESC
) = 1;

CREATE OR REPLACE VIEW staging.current_events AS
SELECT e.*
FROM staging.events AS e
JOIN staging.submissions AS s ON s.submission_id = e.submission_id
WHERE s.state = 'ingested'
QUALIFY row_number() OVER (
    PARTITION BY e.partner_id, e.event_id
    ORDER BY s.ingested_at DESC, s.submission_id DESC
) = 1;
