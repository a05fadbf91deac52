-- The last $window releases of $output that show counts of their own under the same threshold
-- and noise bound (a change of either starts a new period), oldest first.
SELECT release_id, max_noise, structure
FROM (
    SELECT release_id, max_noise, structure, released_at
    FROM ops.disclosure_releases
    WHERE output = $output AND derived_from IS NULL
        AND ($threshold IS NULL OR threshold = $threshold)
        AND ($max_noise IS NULL OR max_noise = $max_noise)
    ORDER BY released_at DESC, release_id DESC
    LIMIT $window
)
ORDER BY released_at, release_id
