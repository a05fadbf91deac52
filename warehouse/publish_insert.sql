INSERT INTO ops.publications (output, version, path, published_at, run_id, details)
VALUES ($output, $version, $path, $published_at, $run_id, $details)
