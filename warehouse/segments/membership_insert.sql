INSERT INTO segments.membership (person_key, segment, segment_version)
SELECT h.person_key, h.segment, d.segment_version
FROM _segment_hits AS h
JOIN segments.definitions AS d ON d.segment = h.segment
