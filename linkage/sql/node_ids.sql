-- Inside Splink's work database: a dense integer id per record, for the link graph.
-- Input: records.
CREATE OR REPLACE TEMP TABLE node_ids AS
SELECT
    partner_id,
    record_pseudonym,
    CAST(row_number() OVER () - 1 AS BIGINT) AS node
FROM records;
