SELECT segment, sector, reached, people, share_of_segment
FROM sector_reach
ORDER BY segment, sector, reached DESC
