-- The linkage schema of hub.duckdb (documented in docs/linkage.md and docs/architecture.md).
-- No primary keys: whole tables are replaced inside one transaction on a full re-link; the
-- uniqueness of person_key and of (partner_id, record_pseudonym) is an asset check instead.
CREATE SCHEMA IF NOT EXISTS linkage;

CREATE TABLE IF NOT EXISTS linkage.person_records (
    partner_id VARCHAR NOT NULL,
    record_pseudonym VARCHAR NOT NULL,
    person_key VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    record_digest VARCHAR
);

CREATE TABLE IF NOT EXISTS linkage.persons (
    person_key VARCHAR NOT NULL,
    n_records INTEGER NOT NULL,
    n_partners INTEGER NOT NULL,
    created_run VARCHAR NOT NULL,
    updated_run VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS linkage.links (
    partner_id_l VARCHAR NOT NULL,
    record_pseudonym_l VARCHAR NOT NULL,
    partner_id_r VARCHAR NOT NULL,
    record_pseudonym_r VARCHAR NOT NULL,
    match_weight DOUBLE NOT NULL,
    match_probability DOUBLE NOT NULL,
    run_id VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS linkage.runs (
    run_id VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    mode VARCHAR NOT NULL,
    model_version VARCHAR NOT NULL,
    records BIGINT NOT NULL,
    persons BIGINT NOT NULL,
    churn JSON NOT NULL,
    details JSON
);

-- What happened to each key in each run: created, merged (into related_key), split (a part
-- went to related_key), retired. Lets a consumer holding an old key find its successor.
CREATE TABLE IF NOT EXISTS linkage.key_events (
    run_id VARCHAR NOT NULL,
    person_key VARCHAR NOT NULL,
    event VARCHAR NOT NULL,
    related_key VARCHAR
);
