-- The items to send, per recipient, in a stable order.
SELECT
    recipient,
    recipient_pseudonym,
    source_partner,
    source_pseudonym,
    event_id,
    alert_type,
    alert_date,
    source_sector,
    facility,
    submission_id
FROM alert_routes
WHERE decision = 'send'
ORDER BY recipient, alert_date, alert_type, recipient_pseudonym, source_partner, event_id;
