-- The links inside the persons of the candidates: the graph the link certainty is read from.
-- A link between two records with the same full name whose dates of birth are both known and
-- differ (every name-and-birth-date token disagrees) and whose SSNs do not agree carries no
-- alert (probability 0 here): on the 1M-record synthetic region every alert sent to another
-- resident's partner crossed such a link (same-named people with other birth dates, scored
-- 0.99+ from the name's rarity and the birth dates' Bloom-filter similarity). A shared address
-- or phone does not spare the link: a parent and a child of the same name (Jr.) share both,
-- and sparing them let 4 wrong alerts through at 100k (benchmarks/RESULTS.md, Issue 21).
-- Inputs: alert_candidates, scoped_rows (the current rows of the persons' records, see
-- scope_keys.sql).
SELECT
    r.person_key,
    l.partner_id_l,
    l.record_pseudonym_l,
    l.partner_id_r,
    l.record_pseudonym_r,
    max(
        CASE
            WHEN coalesce(
                a.tok_fullname = b.tok_fullname
                AND a.tok_first_dob <> b.tok_first_dob
                AND a.tok_last_dob <> b.tok_last_dob
                AND a.tok_name_dob <> b.tok_name_dob
                AND NOT coalesce(a.tok_ssn = b.tok_ssn, false),
                false
            ) THEN 0.0
            ELSE l.match_probability
        END
    ) AS match_probability
FROM linkage.links AS l
JOIN linkage.person_records AS r
    ON r.partner_id = l.partner_id_l AND r.record_pseudonym = l.record_pseudonym_l
JOIN linkage.person_records AS o
    ON o.partner_id = l.partner_id_r AND o.record_pseudonym = l.record_pseudonym_r
    AND o.person_key = r.person_key
LEFT JOIN scoped_rows AS a
    ON a.partner_id = l.partner_id_l AND a.record_pseudonym = l.record_pseudonym_l
LEFT JOIN scoped_rows AS b
    ON b.partner_id = l.partner_id_r AND b.record_pseudonym = l.record_pseudonym_r
WHERE r.person_key IN (SELECT c.person_key FROM alert_candidates AS c)
GROUP BY ALL;
