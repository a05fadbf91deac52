-- The analysts' database (marts.duckdb): de-identified aggregates only. No person-level rows, no
-- person keys, pseudonyms or encodings. Every count passed small-cell suppression (threshold in
-- table `about`) with complementary suppression across all tables. segment_sizes and
-- segment_trends list every segment and month, a withheld count NULL with suppressed = true; the
-- other tables list a row only where its count is shown (a withheld or empty combination has no
-- row, so a row's absence says nothing). Months are 'YYYY-MM'.
CREATE TABLE about (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
COMMENT ON TABLE about IS 'Facts about this publication: reference date, threshold, version, methods.';
COMMENT ON COLUMN about.key IS 'Name of the fact, e.g. as_of_month, threshold, version.';
COMMENT ON COLUMN about.value IS 'Its value, as text.';

CREATE TABLE segments (
    segment VARCHAR PRIMARY KEY,
    description VARCHAR NOT NULL,
    owner VARCHAR NOT NULL,
    segment_version VARCHAR NOT NULL,
    rule VARCHAR NOT NULL
);
COMMENT ON TABLE segments IS 'The complex-needs segments: definition, owner and version. all_people (every linked, living person) is listed too.';
COMMENT ON COLUMN segments.segment IS 'Segment name, as used in every other table.';
COMMENT ON COLUMN segments.description IS 'What the segment means.';
COMMENT ON COLUMN segments.owner IS 'Workgroup that owns the definition.';
COMMENT ON COLUMN segments.segment_version IS 'Version of the definition used for this publication.';
COMMENT ON COLUMN segments.rule IS 'The rule over person features (see docs/marts.md, Feature columns).';

CREATE TABLE segment_counts (
    segment VARCHAR NOT NULL,
    month VARCHAR NOT NULL,
    age_band VARCHAR NOT NULL,
    sex VARCHAR NOT NULL,
    zip3 VARCHAR NOT NULL,
    people INTEGER,
    suppressed BOOLEAN NOT NULL
);
COMMENT ON TABLE segment_counts IS 'People in each segment at the end of each month, by age band x sex x ZIP3. Sums over a segment and month equal segment_trends.people.';
COMMENT ON COLUMN segment_counts.segment IS 'Segment name (or all_people).';
COMMENT ON COLUMN segment_counts.month IS 'Calendar month YYYY-MM; membership as of its last day (the latest month: as of the reference date).';
COMMENT ON COLUMN segment_counts.age_band IS 'Age band at the reference date of the month: 0-17, 18-34, 35-49, 50-64, 65-89, 90+ (Safe Harbor) or unknown.';
COMMENT ON COLUMN segment_counts.sex IS 'F, M or U (unknown or not recorded).';
COMMENT ON COLUMN segment_counts.zip3 IS 'First three ZIP digits; 000 for ZIP3s under 20,000 people or unknown (Safe Harbor).';
COMMENT ON COLUMN segment_counts.people IS 'Number of people; NULL when suppressed.';
COMMENT ON COLUMN segment_counts.suppressed IS 'Always false: a withheld count has no row in this table.';

CREATE TABLE segment_trends (
    segment VARCHAR NOT NULL,
    month VARCHAR NOT NULL,
    people INTEGER,
    suppressed BOOLEAN NOT NULL
);
COMMENT ON TABLE segment_trends IS 'People in each segment at the end of each month (the trend). The latest month is segment_sizes.';
COMMENT ON COLUMN segment_trends.segment IS 'Segment name (or all_people).';
COMMENT ON COLUMN segment_trends.month IS 'Calendar month YYYY-MM.';
COMMENT ON COLUMN segment_trends.people IS 'Number of people in the segment; NULL when suppressed.';
COMMENT ON COLUMN segment_trends.suppressed IS 'True when the count is withheld.';

CREATE TABLE segment_sizes (
    segment VARCHAR NOT NULL,
    month VARCHAR NOT NULL,
    people INTEGER,
    share_of_all_people DOUBLE,
    suppressed BOOLEAN NOT NULL
);
COMMENT ON TABLE segment_sizes IS 'Current size of each segment (the latest month of segment_trends).';
COMMENT ON COLUMN segment_sizes.segment IS 'Segment name (or all_people).';
COMMENT ON COLUMN segment_sizes.month IS 'The latest month YYYY-MM (membership as of the reference date).';
COMMENT ON COLUMN segment_sizes.people IS 'Number of people in the segment now; NULL when suppressed.';
COMMENT ON COLUMN segment_sizes.share_of_all_people IS 'people / people of all_people (0-1); NULL when suppressed.';
COMMENT ON COLUMN segment_sizes.suppressed IS 'True when the count is withheld.';

CREATE TABLE segment_overlap (
    segment_a VARCHAR NOT NULL,
    segment_b VARCHAR NOT NULL,
    people INTEGER,
    suppressed BOOLEAN NOT NULL
);
COMMENT ON TABLE segment_overlap IS 'People in both of two segments now (each pair once, segment_a < segment_b).';
COMMENT ON COLUMN segment_overlap.segment_a IS 'First segment of the pair (alphabetical).';
COMMENT ON COLUMN segment_overlap.segment_b IS 'Second segment of the pair.';
COMMENT ON COLUMN segment_overlap.people IS 'People in both segments; NULL when suppressed.';
COMMENT ON COLUMN segment_overlap.suppressed IS 'Always false: a withheld count has no row in this table.';

CREATE TABLE sector_overlap (
    segment VARCHAR NOT NULL,
    sector_combination VARCHAR NOT NULL,
    hospital BOOLEAN NOT NULL,
    public_health BOOLEAN NOT NULL,
    cbo_housing BOOLEAN NOT NULL,
    cbo_food BOOLEAN NOT NULL,
    cbo_social BOOLEAN NOT NULL,
    n_sectors INTEGER NOT NULL,
    people INTEGER,
    suppressed BOOLEAN NOT NULL
);
COMMENT ON TABLE sector_overlap IS 'Who is at the table: people of each segment by the exact combination of sectors that hold a record of them (UpSet-style, exclusive combinations). Sums over a segment equal segment_sizes.people.';
COMMENT ON COLUMN sector_overlap.segment IS 'Segment name (or all_people).';
COMMENT ON COLUMN sector_overlap.sector_combination IS 'Sectors joined with +, e.g. hospital+cbo_housing: exactly these sectors and no other.';
COMMENT ON COLUMN sector_overlap.hospital IS 'A hospital holds a record of these people.';
COMMENT ON COLUMN sector_overlap.public_health IS 'The public-health department holds a record of these people.';
COMMENT ON COLUMN sector_overlap.cbo_housing IS 'A housing community organisation holds a record of these people.';
COMMENT ON COLUMN sector_overlap.cbo_food IS 'A food community organisation holds a record of these people.';
COMMENT ON COLUMN sector_overlap.cbo_social IS 'A social-services community organisation holds a record of these people.';
COMMENT ON COLUMN sector_overlap.n_sectors IS 'How many sectors are in the combination.';
COMMENT ON COLUMN sector_overlap.people IS 'Number of people; NULL when suppressed.';
COMMENT ON COLUMN sector_overlap.suppressed IS 'Always false: a withheld count has no row in this table.';

CREATE TABLE sector_reach (
    segment VARCHAR NOT NULL,
    sector VARCHAR NOT NULL,
    reached BOOLEAN NOT NULL,
    people INTEGER,
    share_of_segment DOUBLE,
    suppressed BOOLEAN NOT NULL
);
COMMENT ON TABLE sector_reach IS 'People of each segment that a sector holds a record of (reached, with or without other sectors; the set sizes of the UpSet chart) and that it does not (reached = false: who that sector is missing).';
COMMENT ON COLUMN sector_reach.reached IS 'True: people the sector holds a record of. False: people of the segment it has no record of. A sector with no partner submitting yet (no reached = true row for all_people) has no records at all: its reached = false row is the whole segment because that sector is not at the table yet, not because it misses them.';
COMMENT ON COLUMN sector_reach.segment IS 'Segment name (or all_people).';
COMMENT ON COLUMN sector_reach.sector IS 'hospital, public_health, cbo_housing, cbo_food or cbo_social.';
COMMENT ON COLUMN sector_reach.people IS 'Number of people reached (or not reached); NULL when suppressed.';
COMMENT ON COLUMN sector_reach.share_of_segment IS 'people / segment size (0-1); NULL when either is suppressed.';
COMMENT ON COLUMN sector_reach.suppressed IS 'Always false: a withheld count has no row in this table.';

CREATE TABLE program_evaluation (
    program VARCHAR NOT NULL,
    cohort VARCHAR NOT NULL,
    people INTEGER,
    ed_ip_per_1000_before DOUBLE,
    ed_ip_per_1000_after DOUBLE,
    change_per_1000 DOUBLE,
    difference_in_differences_per_1000 DOUBLE,
    first_index_month VARCHAR,
    last_index_month VARCHAR,
    suppressed BOOLEAN NOT NULL
);
COMMENT ON TABLE program_evaluation IS 'ED visits + inpatient admissions per 1,000 people in the 6 months before and the 6 months after a first service of a CBO program (served), against never-served people exactly matched on age band, sex, prior use and social need at the same index month (comparison, weighted). Descriptive, not causal.';
COMMENT ON COLUMN program_evaluation.program IS 'housing_services, food_services, case_management or any_cbo_service.';
COMMENT ON COLUMN program_evaluation.cohort IS 'served or comparison.';
COMMENT ON COLUMN program_evaluation.people IS 'People in the group; NULL when suppressed.';
COMMENT ON COLUMN program_evaluation.ed_ip_per_1000_before IS 'ED visits + admissions per 1,000 people in the 6 months before the index month.';
COMMENT ON COLUMN program_evaluation.ed_ip_per_1000_after IS 'ED visits + admissions per 1,000 people in the index month and the 5 after it.';
COMMENT ON COLUMN program_evaluation.change_per_1000 IS 'after - before.';
COMMENT ON COLUMN program_evaluation.difference_in_differences_per_1000 IS 'On the served row: change of the served - change of the comparison group. Negative: utilisation fell more (or rose less) after the service.';
COMMENT ON COLUMN program_evaluation.first_index_month IS 'Earliest index month (YYYY-MM) in the group.';
COMMENT ON COLUMN program_evaluation.last_index_month IS 'Latest index month (YYYY-MM) in the group.';
COMMENT ON COLUMN program_evaluation.suppressed IS 'Always false: a group too small to show has no row.';

CREATE TABLE dictionary (
    table_name VARCHAR NOT NULL,
    column_name VARCHAR,
    data_type VARCHAR,
    description VARCHAR NOT NULL
);
COMMENT ON TABLE dictionary IS 'This data dictionary: every table and column of marts.duckdb with its description.';
COMMENT ON COLUMN dictionary.table_name IS 'Table name.';
COMMENT ON COLUMN dictionary.column_name IS 'Column name; NULL for the row describing the table itself.';
COMMENT ON COLUMN dictionary.data_type IS 'DuckDB type of the column.';
COMMENT ON COLUMN dictionary.description IS 'What the table or column holds.';
