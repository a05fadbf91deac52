-- The (source record, recipient record) pairs whose link certainty is needed.
SELECT DISTINCT person_key, source_partner, source_pseudonym, recipient, recipient_pseudonym
FROM alert_candidates;
