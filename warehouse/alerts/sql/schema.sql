-- Care-alert bookkeeping in hub.duckdb (docs/alerts.md). Idempotent: run before every alert run.
-- Rows hold pseudonyms and event ids (hub-internal, like staging) and counts: never a value.
CREATE SCHEMA IF NOT EXISTS alerts;

-- One row per events package once its alerts were decided: the counts and the latency.
CREATE TABLE IF NOT EXISTS alerts.batches (
    submission_id VARCHAR NOT NULL,
    partner_id VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    written_at TIMESTAMPTZ NOT NULL,
    latency_seconds DOUBLE NOT NULL,
    events BIGINT NOT NULL,
    alerts_sent BIGINT NOT NULL,
    recipients INTEGER NOT NULL,
    counts JSON NOT NULL
);

-- One row per alert item sent: the idempotency key (recipient, recipient_pseudonym,
-- source_partner, event_id, alert_type) is never sent twice.
CREATE TABLE IF NOT EXISTS alerts.sent (
    alert_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    recipient VARCHAR NOT NULL,
    recipient_pseudonym VARCHAR NOT NULL,
    source_partner VARCHAR NOT NULL,
    source_pseudonym VARCHAR NOT NULL,
    event_id VARCHAR NOT NULL,
    alert_type VARCHAR NOT NULL,
    alert_date DATE NOT NULL,
    submission_id VARCHAR NOT NULL,
    written_at TIMESTAMPTZ NOT NULL,
    path VARCHAR NOT NULL
);
