-- Inside Splink's work database: the scored pairs at or above the link threshold.
-- Input: scored (a view over Splink's predictions).
SELECT
    partner_id_l,
    record_pseudonym_l,
    partner_id_r,
    record_pseudonym_r,
    match_weight,
    match_probability
FROM scored
WHERE match_probability >= $threshold
ORDER BY partner_id_l, record_pseudonym_l, partner_id_r, record_pseudonym_r;
