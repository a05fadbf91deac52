-- Alert files that list (as recipient) or were raised by (as source) one of the requesting
-- partner's forgotten records: removed whole from the outbox.
SELECT DISTINCT a.path
FROM alerts.sent AS a
WHERE (a.recipient = $partner OR a.source_partner = $partner)
    AND (
        (a.recipient = $partner AND a.recipient_pseudonym IN (
            SELECT f.record_pseudonym FROM forget_pseudonyms AS f
        ))
        OR (a.source_partner = $partner AND a.source_pseudonym IN (
            SELECT f.record_pseudonym FROM forget_pseudonyms AS f
        ))
    )
ORDER BY a.path;
