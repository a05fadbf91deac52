-- The pseudonyms of one deletion request, bound as a list.
INSERT INTO forget_pseudonyms
SELECT DISTINCT CAST(unnest($pseudonyms) AS VARCHAR) AS record_pseudonym
