-- Inside Splink's work database: the records of every person of three or more records, the
-- only persons that can be joined through a chain (a person of two is one scored link).
-- Input: full_clusters (components.py).
CREATE OR REPLACE TEMP TABLE chain_members AS
SELECT partner_id, record_pseudonym, cluster_id
FROM full_clusters
WHERE cluster_id IN (
    SELECT cluster_id FROM full_clusters GROUP BY cluster_id HAVING count(*) >= 3
);
