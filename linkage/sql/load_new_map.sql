-- The record -> cluster map of this run (from an Arrow view), as a temp table.
CREATE OR REPLACE TEMP TABLE new_map AS
SELECT partner_id, record_pseudonym, cluster_id, record_digest
FROM clusters_arrow;
