-- Each record of the scope against the current answer: new (not linked yet), changed (linked
-- with another digest) or same. Input: prepared_records (over scoped_rows).
CREATE OR REPLACE TEMP TABLE scoped_status AS
SELECT
    c.partner_id,
    c.record_pseudonym,
    c.record_digest,
    CASE
        WHEN p.partner_id IS NULL THEN 'new'
        WHEN p.record_digest IS DISTINCT FROM c.record_digest THEN 'changed'
        ELSE 'same'
    END AS status
FROM prepared_records AS c
LEFT JOIN linkage.person_records AS p USING (partner_id, record_pseudonym);
