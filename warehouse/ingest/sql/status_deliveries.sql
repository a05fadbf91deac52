-- The latest decision per quarantined or duplicate delivery, newest first.
SELECT submission_id, partner_id, outcome, decided_at, location, summary
FROM staging.deliveries
WHERE outcome IN ('quarantined', 'duplicate')
QUALIFY row_number() OVER (PARTITION BY location ORDER BY decided_at DESC) = 1
ORDER BY decided_at DESC;
