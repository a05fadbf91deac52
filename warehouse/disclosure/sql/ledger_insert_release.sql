INSERT INTO ops.disclosure_releases
    (release_id, output, version, released_at, threshold, max_noise, structure, derived_from,
     cells, withheld)
VALUES ($release_id, $output, $version, $released_at, $threshold, $max_noise, $structure,
    $derived_from, $cells, $withheld)
ON CONFLICT (release_id) DO NOTHING
