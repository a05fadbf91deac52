-- Inside Splink's work database: the graph of an incremental run. Nodes are the new records
-- and the persons they touch; an edge joins a new record to another new record or to the
-- person of an existing record. Inputs: new_links, prev_keys(partner_id, record_pseudonym,
-- person_key), new_keys.
CREATE OR REPLACE TABLE inc_edges AS
SELECT
    coalesce(
        'K:' || pl.person_key, 'R:' || l.partner_id_l || ':' || l.record_pseudonym_l
    ) AS node_id_l,
    coalesce(
        'K:' || pr.person_key, 'R:' || l.partner_id_r || ':' || l.record_pseudonym_r
    ) AS node_id_r
FROM new_links AS l
LEFT JOIN prev_keys AS pl
    ON pl.partner_id = l.partner_id_l AND pl.record_pseudonym = l.record_pseudonym_l
LEFT JOIN prev_keys AS pr
    ON pr.partner_id = l.partner_id_r AND pr.record_pseudonym = l.record_pseudonym_r;

CREATE OR REPLACE TABLE inc_nodes AS
SELECT 'R:' || partner_id || ':' || record_pseudonym AS node_id
FROM new_keys
UNION
SELECT node_id_l FROM inc_edges WHERE node_id_l LIKE 'K:%'
UNION
SELECT node_id_r FROM inc_edges WHERE node_id_r LIKE 'K:%';
