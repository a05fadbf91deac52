-- The token widths (the manifest's token_bits, as JSON text) of the current submissions of one
-- spec version, except the one a new package supersedes: what the new package must agree with,
-- since linkage compares its tokens with theirs. Oldest first: the first one set the widths.
SELECT
    partner_id,
    submission_id,
    CAST(json_extract(manifest, '$.token_bits') AS VARCHAR) AS token_bits
FROM staging.submissions
WHERE
    state = 'ingested'
    AND spec_version = $spec_version
    AND submission_id IS DISTINCT FROM $supersedes
ORDER BY ingested_at, submission_id
