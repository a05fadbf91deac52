-- Inside Splink's work database: the accepted links, as the hub stores them.
-- Input: accepted (guarded_links.sql: the pair keys, match_weight and match_probability).
SELECT
    partner_id_l,
    record_pseudonym_l,
    partner_id_r,
    record_pseudonym_r,
    match_weight,
    match_probability
FROM accepted
ORDER BY partner_id_l, record_pseudonym_l, partner_id_r, record_pseudonym_r;
