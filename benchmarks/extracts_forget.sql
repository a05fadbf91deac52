-- Pseudonyms one deletion request of the benchmark forgets.
SELECT record_pseudonym FROM staging.persons WHERE partner_id = $p ORDER BY record_pseudonym LIMIT $n
