-- Per recipient: alert files and items sent, and the last one (counts only).
SELECT recipient, count(DISTINCT alert_id) AS files, count(*) AS items, max(written_at) AS last
FROM alerts.sent
GROUP BY ALL
ORDER BY recipient;
