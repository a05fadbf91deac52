-- Every linked record of the persons the events of alert_batch are about: the records whose
-- current rows (consent) candidates.sql reads, through linkage's scoped_rows view (reading
-- staging.current_persons would number every row of the hub, a second at 1M records).
CREATE OR REPLACE TEMP TABLE scope_keys AS
SELECT r.partner_id, r.record_pseudonym
FROM linkage.person_records AS r
WHERE r.person_key IN (
    SELECT pr.person_key
    FROM staging.events AS e
    SEMI JOIN alert_batch AS b ON b.submission_id = e.submission_id
    JOIN linkage.person_records AS pr
        ON pr.partner_id = e.partner_id AND pr.record_pseudonym = e.record_pseudonym
);
