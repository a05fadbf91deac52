-- Segments by current size (withheld sizes last). No row in segment_sizes means nobody: 0.
SELECT
    s.segment,
    CASE WHEN z.segment IS NULL THEN 0 ELSE z.people END AS people,
    CASE WHEN z.segment IS NULL THEN 0.0 ELSE z.share_of_all_people END AS share
FROM segments AS s
LEFT JOIN segment_sizes AS z ON z.segment = s.segment
ORDER BY people DESC NULLS LAST, s.segment
