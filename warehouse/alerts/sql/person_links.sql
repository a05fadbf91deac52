-- The links inside the persons of the candidates: the graph the link certainty is read from.
-- A namesake link, between two records with the same full name whose dates of birth differ
-- (every name-and-birth-date token disagrees) and whose SSNs do not agree, carries no alert
-- (probability 0 here) unless the two dates look like one person's date mistyped:
--   * both SSNs known and different: never (on the synthetic regions no true pair had that);
--   * the DOB filters identical (Dice >= $same_dob_dice): the same date, the date tokens
--     differing only because first and last name were exchanged (the full-name token and the
--     DOB filter's name salt do not depend on the order; a day/month swap agrees on
--     tok_first_dob, so it is no namesake link at all);
--   * or the records share the address or the phone, the DOB filters are close (Dice >=
--     $typo_dob_dice, one part of the date off) and the clear birth years are less than
--     $generation_years apart: a parent and a child of one name share the address and phone,
--     but their dates are a generation apart and their filters far (Dice <= 0.81 measured).
-- The phone token is a keyed bucket of the phone (spec 2.2): two records of linked persons
-- share one by chance with probability about 1/E (E the ecosystem's persons), never a concern
-- for these already-linked pairs.
-- On the 1M-record region every alert once sent to another resident's partner crossed such a
-- link (same-named people with other birth dates, scored 0.99+); the thresholds and the
-- error kinds behind them are in benchmarks/RESULTS.md, "Issue 21: alert recall".
-- Inputs: alert_candidates, scoped_rows (the current rows of the persons' records, see
-- scope_keys.sql). Parameters: $same_dob_dice, $typo_dob_dice (DOUBLE), $generation_years.
WITH pairs AS (
    SELECT
        r.person_key,
        l.partner_id_l,
        l.record_pseudonym_l,
        l.partner_id_r,
        l.record_pseudonym_r,
        l.match_probability,
        coalesce(
            a.tok_fullname = b.tok_fullname
            AND a.tok_first_dob <> b.tok_first_dob
            AND a.tok_last_dob <> b.tok_last_dob
            AND a.tok_name_dob <> b.tok_name_dob
            AND NOT coalesce(a.tok_ssn = b.tok_ssn, false),
            false
        ) AS namesake,
        coalesce(a.tok_ssn <> b.tok_ssn, false) AS ssn_differs,
        coalesce(a.tok_first_addr = b.tok_first_addr, false)
        OR coalesce(a.tok_phone = b.tok_phone, false) AS shared_contact,
        abs(a.birth_year - b.birth_year) AS years_apart,
        2.0 * (
            bit_count(a.bf_dob_0 & b.bf_dob_0)::INTEGER + bit_count(a.bf_dob_1 & b.bf_dob_1)::INTEGER
            + bit_count(a.bf_dob_2 & b.bf_dob_2)::INTEGER + bit_count(a.bf_dob_3 & b.bf_dob_3)::INTEGER
            + bit_count(a.bf_dob_4 & b.bf_dob_4)::INTEGER + bit_count(a.bf_dob_5 & b.bf_dob_5)::INTEGER
            + bit_count(a.bf_dob_6 & b.bf_dob_6)::INTEGER + bit_count(a.bf_dob_7 & b.bf_dob_7)::INTEGER
        ) / nullif(
            bit_count(a.bf_dob_0)::INTEGER + bit_count(a.bf_dob_1)::INTEGER
            + bit_count(a.bf_dob_2)::INTEGER + bit_count(a.bf_dob_3)::INTEGER
            + bit_count(a.bf_dob_4)::INTEGER + bit_count(a.bf_dob_5)::INTEGER
            + bit_count(a.bf_dob_6)::INTEGER + bit_count(a.bf_dob_7)::INTEGER
            + bit_count(b.bf_dob_0)::INTEGER + bit_count(b.bf_dob_1)::INTEGER
            + bit_count(b.bf_dob_2)::INTEGER + bit_count(b.bf_dob_3)::INTEGER
            + bit_count(b.bf_dob_4)::INTEGER + bit_count(b.bf_dob_5)::INTEGER
            + bit_count(b.bf_dob_6)::INTEGER + bit_count(b.bf_dob_7)::INTEGER,
            0
        ) AS dob_dice
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
),
judged AS (
    SELECT
        *,
        NOT ssn_differs
        AND (
            coalesce(dob_dice >= $same_dob_dice, false)
            OR (
                shared_contact
                AND coalesce(dob_dice >= $typo_dob_dice, false)
                AND coalesce(years_apart < $generation_years, false)
            )
        ) AS mistyped_date
    FROM pairs
)
SELECT
    person_key,
    partner_id_l,
    record_pseudonym_l,
    partner_id_r,
    record_pseudonym_r,
    max(
        CASE WHEN namesake AND NOT mistyped_date THEN 0.0 ELSE match_probability END
    ) AS match_probability
FROM judged
GROUP BY ALL;
