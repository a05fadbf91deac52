-- Events packages ingested and not yet alerted on, oldest first, with whether every record
-- they name is linked yet (an unlinked package waits for linked_persons).
SELECT
    s.submission_id,
    s.partner_id,
    s.received_at,
    s.events_rows,
    count(p.record_pseudonym) FILTER (WHERE pr.person_key IS NULL) AS unlinked_records
FROM staging.submissions AS s
LEFT JOIN staging.persons AS p ON p.submission_id = s.submission_id
LEFT JOIN linkage.person_records AS pr
    ON pr.partner_id = p.partner_id AND pr.record_pseudonym = p.record_pseudonym
WHERE s.state = 'ingested'
    AND coalesce(s.manifest ->> 'kind', 'full') = 'events'
    AND s.submission_id NOT IN (SELECT b.submission_id FROM alerts.batches AS b)
GROUP BY ALL
ORDER BY s.received_at, s.submission_id;
