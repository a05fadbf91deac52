-- ops.publications: one row per successful publication of a hub output (marts, extracts, report).
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.publications (
    output VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR,
    details JSON,
    PRIMARY KEY (output, version)
);
