SELECT segment, description, owner, segment_version, rule
FROM segments
WHERE segment <> 'all_people'
ORDER BY segment
