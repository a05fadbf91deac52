-- The links inside the persons of the candidates: the graph the link certainty is read from.
SELECT
    r.person_key,
    l.partner_id_l,
    l.record_pseudonym_l,
    l.partner_id_r,
    l.record_pseudonym_r,
    max(l.match_probability) AS match_probability
FROM linkage.links AS l
JOIN linkage.person_records AS r
    ON r.partner_id = l.partner_id_l AND r.record_pseudonym = l.record_pseudonym_l
JOIN linkage.person_records AS o
    ON o.partner_id = l.partner_id_r AND o.record_pseudonym = l.record_pseudonym_r
    AND o.person_key = r.person_key
WHERE r.person_key IN (SELECT c.person_key FROM alert_candidates AS c)
GROUP BY ALL;
