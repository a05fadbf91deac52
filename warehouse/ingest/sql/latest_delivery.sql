-- The latest decision on one submission, if any.
SELECT outcome, summary, location
FROM staging.deliveries
WHERE submission_id = $submission_id
ORDER BY decided_at DESC
LIMIT 1;
