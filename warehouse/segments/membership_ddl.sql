CREATE SCHEMA IF NOT EXISTS segments;
CREATE OR REPLACE TABLE segments.definitions (
    segment VARCHAR PRIMARY KEY,
    segment_version VARCHAR NOT NULL,
    description VARCHAR NOT NULL,
    owner VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    rule_sql VARCHAR NOT NULL,
    config_sha256 VARCHAR,
    as_of_date DATE NOT NULL,
    computed_at TIMESTAMPTZ NOT NULL
);
CREATE OR REPLACE TABLE segments.membership (
    person_key VARCHAR NOT NULL,
    segment VARCHAR NOT NULL,
    segment_version VARCHAR NOT NULL
);
-- Membership at the end of each reference month, with the Safe Harbor demographics the marts
-- group by (so the marts need not re-read the features).
CREATE OR REPLACE TABLE segments.membership_monthly (
    month DATE NOT NULL,
    person_key VARCHAR NOT NULL,
    segment VARCHAR NOT NULL,
    segment_version VARCHAR NOT NULL,
    age_band VARCHAR NOT NULL,
    sex VARCHAR NOT NULL,
    zip3 VARCHAR NOT NULL
);
