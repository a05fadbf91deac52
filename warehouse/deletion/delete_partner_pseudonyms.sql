-- Template: identifiers target_schema, target_table, partner_column and pseudonym_column are
-- replaced from the catalog (see warehouse/deletion.py); values are bound.
DELETE FROM target_schema.target_table
WHERE partner_column = $partner
  AND pseudonym_column IN (SELECT record_pseudonym FROM forget_pseudonyms)
