-- An ingested (or since superseded/deleted) submission with this manifest hash, if any.
SELECT submission_id, state, ingested_at FROM staging.submissions WHERE manifest_sha256 = $sha256;
