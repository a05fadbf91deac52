-- Segments by current size (withheld sizes last).
SELECT s.segment, z.people, z.share_of_all_people
FROM segments AS s
LEFT JOIN segment_sizes AS z ON z.segment = s.segment
ORDER BY z.people DESC NULLS LAST, s.segment
