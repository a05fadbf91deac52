-- The recipient partner's own consented records that are in at least one segment its agreement
-- allows, with those segments. Nothing of any other partner is selected: the two flags only say
-- whether the linked person's membership may rest on data the consent rules keep out of
-- extracts (another record of the person that is not consented; an explicit-consent event at
-- another partner whose record lacks part2_consent). build.py withholds such rows when the
-- governance consent rules say so.
WITH mine AS (
    SELECT r.record_pseudonym, r.person_key
    FROM linkage.person_records AS r
    INNER JOIN staging.current_persons AS p
        ON p.partner_id = r.partner_id AND p.record_pseudonym = r.record_pseudonym
    WHERE r.partner_id = $partner AND p.consented IS TRUE
),
unconsented_persons AS (
    SELECT DISTINCT o.person_key
    FROM linkage.person_records AS o
    INNER JOIN staging.current_persons AS op
        ON op.partner_id = o.partner_id AND op.record_pseudonym = o.record_pseudonym
    WHERE op.consented IS NOT TRUE
),
part2_persons AS (
    SELECT DISTINCT o.person_key
    FROM linkage.person_records AS o
    INNER JOIN staging.current_persons AS op
        ON op.partner_id = o.partner_id AND op.record_pseudonym = o.record_pseudonym
    INNER JOIN staging.current_events AS e
        ON e.partner_id = o.partner_id AND e.record_pseudonym = o.record_pseudonym
    WHERE o.partner_id <> $partner
      AND op.part2_consent IS NOT TRUE
      AND (
          e.part2 IS TRUE
          OR (e.event_type IN ('service', 'referral') AND list_contains($explicit, e.category))
      )
)
SELECT
    m.record_pseudonym,
    list(DISTINCT s.segment ORDER BY s.segment) AS segments,
    bool_or(u.person_key IS NOT NULL) AS rests_on_unconsented,
    bool_or(q.person_key IS NOT NULL) AS rests_on_part2
FROM mine AS m
INNER JOIN segments.membership AS s ON s.person_key = m.person_key
LEFT JOIN unconsented_persons AS u ON u.person_key = m.person_key
LEFT JOIN part2_persons AS q ON q.person_key = m.person_key
WHERE list_contains($segments, s.segment)
GROUP BY m.record_pseudonym
ORDER BY m.record_pseudonym
