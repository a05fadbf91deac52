-- Inside Splink's work database: each record with the label of its component.
-- Inputs: node_ids, labels_arrow(node, label).
CREATE OR REPLACE TEMP TABLE full_clusters AS
SELECT
    n.partner_id,
    n.record_pseudonym,
    CAST(l.label AS VARCHAR) AS cluster_id
FROM node_ids AS n
JOIN labels_arrow AS l USING (node);
