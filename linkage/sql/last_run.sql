-- The latest linkage run: its id, mode and model version.
SELECT run_id, mode, model_version
FROM linkage.runs
ORDER BY started_at DESC, run_id DESC
LIMIT 1;
