-- Template for a table with a pseudonym column but no partner column.
DELETE FROM target_schema.target_table
WHERE pseudonym_column IN (SELECT record_pseudonym FROM forget_pseudonyms)
