-- Per partner: records, and the share of them in a person with records from another partner
-- (cross-partner match rate) or with any other record (match rate).
WITH sizes AS (
    SELECT
        person_key,
        count(*) AS n_records,
        count(DISTINCT partner_id) AS n_partners
    FROM linkage.person_records
    GROUP BY person_key
)
SELECT
    r.partner_id,
    count(*) AS records,
    avg(CASE WHEN s.n_records > 1 THEN 1.0 ELSE 0.0 END) AS match_rate,
    avg(CASE WHEN s.n_partners > 1 THEN 1.0 ELSE 0.0 END) AS cross_partner_rate
FROM linkage.person_records AS r
JOIN sizes AS s USING (person_key)
GROUP BY r.partner_id
ORDER BY r.partner_id;
