-- The partner's own history: median non-null rate per (file, column) and median row count per
-- file over its last $window ingested (or since superseded) submissions.
WITH recent AS (
    SELECT submission_id
    FROM staging.submissions
    WHERE partner_id = $partner_id AND state IN ('ingested', 'superseded')
    ORDER BY ingested_at DESC
    LIMIT $window
)
SELECT p.file, p.column_name, median(p.value) AS median_value, count(*) AS submissions
FROM staging.column_profiles AS p
JOIN recent USING (submission_id)
GROUP BY p.file, p.column_name;
