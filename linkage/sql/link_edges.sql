-- Inside Splink's work database: the accepted links as edges between node ids.
-- Inputs: accepted (guarded_links.sql), node_ids.
SELECT
    l.node AS node_l,
    r.node AS node_r
FROM accepted AS s
JOIN node_ids AS l
    ON l.partner_id = s.partner_id_l AND l.record_pseudonym = s.record_pseudonym_l
JOIN node_ids AS r
    ON r.partner_id = s.partner_id_r AND r.record_pseudonym = s.record_pseudonym_r;
