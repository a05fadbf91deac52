-- Per events package: events, and routed items by decision (counts only).
SELECT
    b.submission_id,
    count(r.decision) FILTER (WHERE r.decision = 'send') AS send,
    count(r.decision) FILTER (WHERE r.decision = 'duplicate') AS duplicate,
    count(r.decision) FILTER (WHERE r.decision = 'uncertain') AS uncertain,
    count(r.decision) FILTER (WHERE r.decision = 'withheld_consent') AS withheld_consent,
    count(r.decision) FILTER (WHERE r.decision = 'withheld_part2') AS withheld_part2,
    count(r.decision) FILTER (WHERE r.decision = 'stale') AS stale,
    count(DISTINCT r.recipient) FILTER (WHERE r.decision = 'send') AS recipients
FROM alert_batch AS b
LEFT JOIN alert_routes AS r ON r.submission_id = b.submission_id
GROUP BY ALL
ORDER BY b.submission_id;
