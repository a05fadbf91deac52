-- Inside Splink's work database: the edges chains.py rebuilds persons from, as node ids with
-- the person's label. conflict = false: the accepted links inside the persons of three or
-- more records; conflict = true: the pairs inside them that the model holds to be two
-- people (match weight below $min_weight). Links come strongest first, ties broken by the
-- record keys, so the same links give the same persons.
-- Inputs: accepted, chain_pairs (every pair inside chain_members, scored), node_ids,
-- chain_members.
WITH edges AS (
    SELECT false AS conflict, partner_id_l, record_pseudonym_l, partner_id_r,
        record_pseudonym_r, match_weight
    FROM accepted
    UNION ALL
    SELECT true, partner_id_l, record_pseudonym_l, partner_id_r, record_pseudonym_r,
        match_weight
    FROM chain_pairs
    WHERE match_weight < $min_weight
)
SELECT
    e.conflict,
    m.cluster_id,
    l.node AS node_l,
    r.node AS node_r,
    e.match_weight
FROM edges AS e
JOIN node_ids AS l
    ON l.partner_id = e.partner_id_l AND l.record_pseudonym = e.record_pseudonym_l
JOIN node_ids AS r
    ON r.partner_id = e.partner_id_r AND r.record_pseudonym = e.record_pseudonym_r
JOIN chain_members AS m
    ON m.partner_id = e.partner_id_l AND m.record_pseudonym = e.record_pseudonym_l
ORDER BY
    e.conflict,
    round(e.match_weight, 6) DESC,
    e.partner_id_l,
    e.record_pseudonym_l,
    e.partner_id_r,
    e.record_pseudonym_r;
