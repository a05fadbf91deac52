-- One row per linkage run.
INSERT INTO linkage.runs
VALUES (
    $run_id,
    $started_at,
    $finished_at,
    $mode,
    $model_version,
    (SELECT count(*) FROM linkage.person_records),
    (SELECT count(*) FROM linkage.persons),
    CAST($churn AS JSON),
    CAST($details AS JSON)
);
