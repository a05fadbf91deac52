-- People in both of two segments, now (each unordered pair once).
SELECT a.segment AS segment_a, b.segment AS segment_b, count(*) AS people
FROM segments.membership AS a
JOIN segments.membership AS b ON b.person_key = a.person_key AND a.segment < b.segment
GROUP BY ALL
ORDER BY ALL
