-- Independent check of an extract's rows before encryption: every listed pseudonym must be a
-- current, consented record of the recipient. Returns how many listed pseudonyms are not.
SELECT count(*) AS foreign_or_unconsented
FROM (SELECT unnest($pseudonyms) AS record_pseudonym) AS listed
WHERE NOT EXISTS (
    SELECT 1
    FROM staging.current_persons AS p
    WHERE p.partner_id = $partner
      AND p.record_pseudonym = listed.record_pseudonym
      AND p.consented IS TRUE
)
