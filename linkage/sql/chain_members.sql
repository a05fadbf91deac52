-- Inside Splink's work database: the records of every person that can hold a chain, and the
-- accepted links among them. A chain needs three or more records, and a pair inside the
-- person that is no accepted link (a person whose every pair is an accepted link has no
-- conflict: each of its pairs scores above the link threshold).
-- Inputs: full_clusters (components.py), accepted (guarded_links.sql).
CREATE OR REPLACE TEMP TABLE chain_members AS
WITH sizes AS (
    SELECT cluster_id, count(*) AS n
    FROM full_clusters
    GROUP BY cluster_id
    HAVING count(*) >= 3
),
links AS (
    SELECT c.cluster_id, count(*) AS links
    FROM accepted AS a
    JOIN full_clusters AS c
        ON c.partner_id = a.partner_id_l AND c.record_pseudonym = a.record_pseudonym_l
    GROUP BY c.cluster_id
)
SELECT f.partner_id, f.record_pseudonym, f.cluster_id
FROM full_clusters AS f
JOIN sizes AS s USING (cluster_id)
LEFT JOIN links AS l USING (cluster_id)
WHERE coalesce(l.links, 0) < s.n * (s.n - 1) / 2;

CREATE OR REPLACE TEMP TABLE chain_accepted AS
SELECT a.partner_id_l, a.record_pseudonym_l, a.partner_id_r, a.record_pseudonym_r
FROM accepted AS a
SEMI JOIN chain_members AS m
    ON m.partner_id = a.partner_id_l AND m.record_pseudonym = a.record_pseudonym_l;
