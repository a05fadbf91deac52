INSERT INTO segments.membership_monthly
    (month, person_key, segment, segment_version, age_band, sex, zip3)
SELECT h.month, h.person_key, h.segment, d.segment_version, h.age_band, h.sex, h.zip3
FROM _segment_hits_monthly AS h
JOIN segments.definitions AS d ON d.segment = h.segment
