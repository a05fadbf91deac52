-- Accepted links of this run (from an Arrow view).
INSERT INTO linkage.links
SELECT
    partner_id_l,
    record_pseudonym_l,
    partner_id_r,
    record_pseudonym_r,
    match_weight,
    match_probability,
    $run_id AS run_id
FROM links_arrow;
