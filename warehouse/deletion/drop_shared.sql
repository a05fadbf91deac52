-- Keep only the requested pseudonyms no other partner holds, for the unscoped steps (tables
-- without a partner column, text cells, text files).
DELETE FROM forget_pseudonyms
WHERE record_pseudonym IN (SELECT CAST(unnest($shared) AS VARCHAR))
