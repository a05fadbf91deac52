-- Inside Splink's work database: accepted links of an incremental run, new x existing and
-- new x new. Inputs: scored_between, scored_within (views over Splink's predictions).
CREATE OR REPLACE TABLE new_links AS
SELECT
    partner_id_l,
    record_pseudonym_l,
    partner_id_r,
    record_pseudonym_r,
    match_weight,
    match_probability
FROM scored_between
WHERE match_probability >= $threshold
UNION ALL
SELECT
    partner_id_l,
    record_pseudonym_l,
    partner_id_r,
    record_pseudonym_r,
    match_weight,
    match_probability
FROM scored_within
WHERE match_probability >= $threshold;
