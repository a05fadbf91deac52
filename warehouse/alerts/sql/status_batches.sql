-- The last events packages alerted on, with their latency and counts.
SELECT submission_id, partner_id, written_at, latency_seconds, events, alerts_sent, recipients, counts
FROM alerts.batches
ORDER BY written_at DESC, submission_id DESC
LIMIT $limit;
