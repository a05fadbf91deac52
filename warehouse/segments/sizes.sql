-- Current size of each defined segment (zero when nobody is in it).
SELECT d.segment, count(m.person_key) AS people
FROM segments.definitions AS d
LEFT JOIN segments.membership AS m ON m.segment = d.segment
GROUP BY d.segment
ORDER BY d.segment
