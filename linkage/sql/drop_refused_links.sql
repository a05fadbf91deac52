-- Inside Splink's work database: drop the links that chains.py refused (they would join two
-- records the model holds to be two people), and give the split persons their new labels.
-- Inputs: accepted, node_ids, refused_arrow(node_l, node_r), relabel_arrow(node, label).
DELETE FROM accepted AS a
USING refused_arrow AS x, node_ids AS l, node_ids AS r
WHERE l.node = x.node_l AND r.node = x.node_r
    AND a.partner_id_l = l.partner_id AND a.record_pseudonym_l = l.record_pseudonym
    AND a.partner_id_r = r.partner_id AND a.record_pseudonym_r = r.record_pseudonym;

UPDATE full_clusters AS c
SET cluster_id = x.label
FROM relabel_arrow AS x, node_ids AS n
WHERE n.node = x.node AND c.partner_id = n.partner_id AND c.record_pseudonym = n.record_pseudonym;
