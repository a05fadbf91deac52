-- Event-based features of each person at each reference month.
-- Windows are calendar months: "6 months" is the reference month and the 5 before it.
-- Category sets are bit masks: bit i is element i+1 of the $chronic, $hrsn, $services lists.
--
-- Cost is in the GROUP BYs (3M events at 1M records -> 2.4M person-months -> 16M window
-- contributions -> 5M rows), and a GROUP BY pays per aggregate. So events are aggregated to
-- (person, month) once (features.monthly_events, also the input of the program evaluation),
-- and the counts travel packed, four to a HUGEINT in 32-bit lanes, with the category sets and
-- yes/no flags in one BIGINT; features.person_month decodes them.
--   counts:       lane 0 ED visits, 1 inpatient admissions, 2 behavioural-health acute visits,
--                 3 overdoses (public-health reports and overdose visits)
--   more_counts:  lane 0 services, 1 referrals, 2 public-health events
--   counts_6m:    lanes 0 and 1 of counts, over 6 months
--   flags:        bits 0-7 HRSN domains screened positive, 8-23 services received,
--                 24 a reportable condition, 25 an immunisation, 26 any positive screening
-- A lane cannot overflow: each holds one person's events of 12 months, and the features are
-- INTEGER (< 2^31) anyway.
CREATE OR REPLACE TABLE features.monthly_events AS
WITH person_events AS (
    -- Events of linked persons up to the last reference date (nothing after as_of counts).
    SELECT
        p.person_id,
        year(e.event_date) * 12 + month(e.event_date) - 1 AS month_index,
        e.event_type,
        e.category,
        e.result
    FROM staging.current_events AS e
    JOIN linkage.person_records AS r
        ON r.partner_id = e.partner_id AND r.record_pseudonym = e.record_pseudonym
    JOIN features.persons AS p ON p.person_key = r.person_key
    WHERE e.event_date <= $last_as_of
)
SELECT
    person_id,
    month_index,
    sum(
        CAST(event_type = 'ed_visit' AS HUGEINT)
        | (CAST(event_type = 'inpatient_stay' AS HUGEINT) << 32)
        | (CAST(
            event_type IN ('ed_visit', 'inpatient_stay')
            AND category IN ('behavioral_health', 'substance_use', 'overdose') AS HUGEINT
        ) << 64)
        | (CAST(
            event_type = 'overdose'
            OR (event_type IN ('ed_visit', 'inpatient_stay') AND category = 'overdose')
            AS HUGEINT
        ) << 96)
    ) AS counts,
    sum(
        CAST(event_type = 'service' AS HUGEINT)
        | (CAST(event_type = 'referral' AS HUGEINT) << 32)
        | (CAST(
            event_type IN ('overdose', 'reportable_condition', 'immunization') AS HUGEINT
        ) << 64)
    ) AS more_counts,
    bit_or(
        CASE
            WHEN event_type = 'hrsn_screening' AND result = 'positive'
                THEN coalesce(CAST(1 AS BIGINT) << (list_position($hrsn, category) - 1), 0)
                    | (CAST(1 AS BIGINT) << 26)
            WHEN event_type = 'service'
                THEN CAST(1 AS BIGINT) << (list_position($services, category) + 7)
            WHEN event_type = 'reportable_condition' THEN CAST(1 AS BIGINT) << 24
            WHEN event_type = 'immunization' THEN CAST(1 AS BIGINT) << 25
            ELSE 0
        END
    ) AS flags,
    coalesce(bit_or(CASE WHEN event_type = 'chronic_condition'
        THEN CAST(1 AS BIGINT) << (list_position($chronic, category) - 1) END), 0)
        AS chronic_bits,
    bool_or(event_type = 'death') AS death
FROM person_events
GROUP BY ALL;

-- Window sums: the fan-out to reference months is an unnest over the consecutive reference
-- month indexes that a month's window reaches (cheaper than a range join). Chronic conditions and
-- death count since the first event instead: they are carried forward per person as intervals
-- of months with the same state (few rows) and joined by range. The table is dense (a row per
-- person and reference month, NULLs where nothing happened): features.person_month then reads
-- it with an inner join on the small persons table, instead of a left join that builds a hash
-- table of millions of rows on every read.
CREATE OR REPLACE TABLE features.event_month AS
WITH fanned AS (
    SELECT
        person_id,
        month_index AS m,
        counts,
        more_counts,
        flags,
        unnest(range(
            greatest(month_index, $first_month_index),
            least(month_index + 12, $last_month_index + 1)
        )) AS ref_index
    FROM features.monthly_events
    WHERE month_index > $first_month_index - 12
),
windows AS (
    SELECT
        CAST(ref_index AS INTEGER) AS month_index,
        person_id,
        sum(counts) AS counts,
        sum(more_counts) AS more_counts,
        sum(counts & CAST(18446744073709551615 AS HUGEINT)) FILTER (WHERE m > ref_index - 6)
            AS counts_6m,
        bit_or(flags) AS flags
    FROM fanned
    GROUP BY ALL
),
history AS (
    -- Chronic conditions and death known up to each month that adds to them, valid until the
    -- next such month of the person.
    SELECT
        person_id,
        month_index AS valid_from,
        coalesce(
            lead(month_index) OVER (PARTITION BY person_id ORDER BY month_index), 2147483647
        ) AS valid_to,
        bit_or(chronic_bits) OVER known AS chronic_bits,
        bool_or(death) OVER known AS deceased
    FROM features.monthly_events
    WHERE (chronic_bits <> 0 OR death) AND month_index <= $last_month_index
    WINDOW known AS (PARTITION BY person_id ORDER BY month_index ROWS UNBOUNDED PRECEDING)
)
SELECT
    d.month_index,
    p.person_id,
    w.counts,
    w.more_counts,
    w.counts_6m,
    w.flags,
    h.chronic_bits,
    h.deceased
FROM features.persons AS p
CROSS JOIN features.reference_months AS d
LEFT JOIN windows AS w ON w.person_id = p.person_id AND w.month_index = d.month_index
LEFT JOIN history AS h
    ON h.person_id = p.person_id
    AND d.month_index >= h.valid_from
    AND d.month_index < h.valid_to
