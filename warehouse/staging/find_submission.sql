SELECT submission_id, partner_id, state, manifest_sha256, superseded_by
FROM staging.submissions
WHERE submission_id = $submission_id;
