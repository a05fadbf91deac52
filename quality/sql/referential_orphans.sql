-- Events whose record_pseudonym has no row in the persons file of the same package.
SELECT count(*) AS n, list_slice(list(e._row ORDER BY e._row), 1, $limit) AS row_numbers
FROM ingest_events AS e
ANTI JOIN ingest_persons AS p ON e.record_pseudonym = p.record_pseudonym
WHERE e.record_pseudonym IS NOT NULL;
