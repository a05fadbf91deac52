-- Template: which forgotten pseudonyms one table holds for the partner.
SELECT DISTINCT pseudonym_column
FROM target_schema.target_table
WHERE partner_column = $partner
  AND pseudonym_column IN (SELECT record_pseudonym FROM forget_pseudonyms)
