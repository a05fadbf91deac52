-- The recipient partner's own consented records that are in at least one segment its agreement
-- allows, with those segments (from the working tables of inputs.sql). Nothing of any other
-- partner is selected: the two flags only say whether the linked person's membership may rest
-- on data the consent rules keep out of extracts (another record of the person that is not
-- consented; an explicit-consent event at another partner whose record lacks part2_consent).
-- build.py withholds such rows when the governance consent rules say so.
WITH mine AS (
    SELECT record_pseudonym, person_key
    FROM extract_records
    WHERE partner_id = $partner AND consented IS TRUE
),
unconsented_persons AS (
    SELECT person_key FROM extract_unconsented
),
part2_persons AS (
    SELECT DISTINCT person_key
    FROM extract_part2_sources
    WHERE partner_id <> $partner
      AND (
          part2 IS TRUE
          OR (event_type IN ('service', 'referral') AND list_contains($explicit, category))
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
