-- Problems of the current membership, one count each (all zero when consistent):
-- rows naming an undefined segment, members without person features, deceased members,
-- duplicate (person, segment) rows. Read by the segment_membership_consistent asset check.
SELECT
    (
        SELECT count(*) FROM segments.membership AS m
        ANTI JOIN segments.definitions AS d ON d.segment = m.segment
    ) AS undefined_segment_rows,
    (
        SELECT count(*) FROM segments.membership AS m
        ANTI JOIN features.person_features AS f ON f.person_key = m.person_key
    ) AS persons_without_features,
    (
        SELECT count(*) FROM segments.membership AS m
        JOIN features.person_features AS f ON f.person_key = m.person_key
        WHERE f.deceased
    ) AS deceased_members,
    (
        SELECT count(*) - count(DISTINCT (person_key, segment)) FROM segments.membership
    ) AS duplicate_rows;
