-- Segment names the segments part has defined (segments.definitions).
SELECT segment FROM segments.definitions ORDER BY segment
