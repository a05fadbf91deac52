-- The last good publication of each output (or of one output when $output is not null).
SELECT output, version, path, published_at, run_id, CAST(details AS VARCHAR) AS details
FROM ops.publications
WHERE $output IS NULL OR output = $output
QUALIFY row_number() OVER (PARTITION BY output ORDER BY published_at DESC, version DESC) = 1
ORDER BY output
