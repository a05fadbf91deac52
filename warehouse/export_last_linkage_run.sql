-- The linkage run the exported person keys come from.
SELECT run_id
FROM linkage.runs
ORDER BY started_at DESC
LIMIT 1;
