-- The latest linkage run, and the label-free accuracy estimate of the latest full run
-- (an incremental run scores only new pairs, so the last full run's estimate still stands).
WITH latest AS (
    SELECT run_id, mode, finished_at, records, persons, details
    FROM linkage.runs
    ORDER BY started_at DESC, run_id DESC
    LIMIT 1
),
estimated AS (
    SELECT run_id, details
    FROM linkage.runs
    WHERE details ->> 'accuracy_estimate' IS NOT NULL
    ORDER BY started_at DESC, run_id DESC
    LIMIT 1
)
SELECT
    l.run_id,
    l.mode,
    l.finished_at,
    l.records,
    l.persons,
    CAST(l.details ->> 'link_threshold' AS DOUBLE) AS link_threshold,
    e.run_id AS estimate_run_id,
    e.details ->> 'accuracy_estimate' AS estimate
FROM latest AS l
LEFT JOIN estimated AS e ON TRUE;
