-- Submissions in staging, newest first, for `carehub status`.
SELECT submission_id, partner_id, state, ingested_at, persons_rows, events_rows, supersedes,
    superseded_by, warnings
FROM staging.submissions
ORDER BY ingested_at DESC, submission_id DESC;
