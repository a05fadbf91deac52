-- An empty links table with the right columns.
SELECT
    partner_id_l,
    record_pseudonym_l,
    partner_id_r,
    record_pseudonym_r,
    match_weight,
    match_probability
FROM linkage.links
WHERE FALSE;
