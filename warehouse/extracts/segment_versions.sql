-- The version of each allowed segment in the current membership.
SELECT segment, max(segment_version) AS segment_version
FROM segments.membership
WHERE list_contains($segments, segment)
GROUP BY segment
ORDER BY segment
