-- Inside Splink's work database: the accepted links, without the contested guard links.
-- A link decided at a guard level (twin-like: gamma_name $twin_gamma or $twin_phone_gamma; namesake:
-- gamma_dob = $namesake_gamma) is contested when both of its records also hold a link at no
-- guard level: each side is then a person confirmed by another record under its own name (or
-- birth date), as twins and a parent and child of one name are, while a given name recorded
-- once under another name has no such confirmation of its own (see linkage/guards.py).
-- Input: scored (a view over Splink's predictions, with gamma_* columns).
-- Only the columns accepted_links.sql and link_edges.sql read are kept: Splink's predictions
-- carry every compared column of both records (130 at spec 2.1), and copying them all cost
-- most of this step (4.5 of 5 CPU seconds at 1M records, issue 15).
CREATE OR REPLACE TEMP TABLE accepted AS
WITH above AS (
    SELECT
        partner_id_l,
        record_pseudonym_l,
        partner_id_r,
        record_pseudonym_r,
        match_weight,
        match_probability,
        coalesce(
            gamma_name IN ($twin_gamma, $twin_phone_gamma) OR gamma_dob = $namesake_gamma, false
        ) AS at_guard
    FROM scored
    WHERE match_probability >= $threshold
),
confirmed AS (
    SELECT partner_id_l AS partner_id, record_pseudonym_l AS record_pseudonym
    FROM above WHERE NOT at_guard
    UNION
    SELECT partner_id_r, record_pseudonym_r FROM above WHERE NOT at_guard
)
SELECT a.* EXCLUDE (at_guard)
FROM above AS a
WHERE NOT a.at_guard
    OR NOT EXISTS (
        SELECT 1 FROM confirmed AS c
        WHERE c.partner_id = a.partner_id_l AND c.record_pseudonym = a.record_pseudonym_l
    )
    OR NOT EXISTS (
        SELECT 1 FROM confirmed AS c
        WHERE c.partner_id = a.partner_id_r AND c.record_pseudonym = a.record_pseudonym_r
    );
