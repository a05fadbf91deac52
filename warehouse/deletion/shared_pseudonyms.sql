-- Template: which requested pseudonyms one partner-scoped table holds for OTHER partners. A
-- pseudonym is keyed per partner, so this happens only by collision or a hostile request; such
-- a value is then never deleted or redacted outside the requesting partner's own rows.
SELECT DISTINCT pseudonym_column
FROM target_schema.target_table
WHERE partner_column <> $partner
  AND pseudonym_column IN (SELECT record_pseudonym FROM forget_pseudonyms)
