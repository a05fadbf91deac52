-- Independent check of an extract's rows before encryption: every listed pseudonym must be a
-- current, consented record of the recipient (extract_consented comes straight from staging,
-- not through linkage). Returns how many listed pseudonyms are not.
SELECT count(*) AS foreign_or_unconsented
FROM (SELECT unnest($pseudonyms) AS record_pseudonym) AS listed
WHERE NOT EXISTS (
    SELECT 1
    FROM extract_consented AS p
    WHERE p.partner_id = $partner
      AND p.record_pseudonym = listed.record_pseudonym
)
