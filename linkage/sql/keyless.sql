-- The clusters that need a fresh key, in a stable order.
SELECT cluster_id FROM keyless_clusters ORDER BY cluster_id;
