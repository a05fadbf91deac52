-- Mark the replaced submission; returns the row so the caller can tell it happened.
UPDATE staging.submissions
SET state = 'superseded', superseded_by = $submission_id
WHERE submission_id = $supersedes AND partner_id = $partner_id AND state = 'ingested'
RETURNING submission_id;
