INSERT INTO staging.deliveries (
    submission_id, partner_id, outcome, decided_at, manifest_sha256, location, summary, checks
)
VALUES ($submission_id, $partner_id, $outcome, $decided_at, $manifest_sha256, $location, $summary,
    $checks);
