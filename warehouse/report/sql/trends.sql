SELECT segment, month, people
FROM segment_trends
ORDER BY segment, month
