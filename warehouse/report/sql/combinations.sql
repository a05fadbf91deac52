-- Exclusive sector combinations of everyone known to the ecosystem, largest first.
SELECT sector_combination, people
FROM sector_overlap
WHERE segment = 'all_people'
ORDER BY people DESC NULLS LAST, n_sectors, sector_combination
