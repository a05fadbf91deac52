INSERT INTO staging.submissions (
    submission_id, partner_id, state, received_at, ingested_at, created_at, supersedes,
    superseded_by, persons_rows, events_rows, key_fingerprint, spec_version, manifest_sha256,
    manifest, warnings
)
VALUES (
    $submission_id, $partner_id, 'ingested', $received_at, $ingested_at, $created_at, $supersedes,
    NULL, $persons_rows, $events_rows, $key_fingerprint, $spec_version, $manifest_sha256,
    $manifest, $warnings
);
