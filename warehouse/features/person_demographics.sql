-- One row per linked person: Safe Harbor demographics and the partners/sectors holding a record.
CREATE OR REPLACE TABLE features.persons AS
WITH records AS (
    SELECT r.person_key, r.partner_id, s.sector, p.birth_year, p.age_90_plus, p.sex, p.zip3,
        p.consented
    FROM linkage.person_records AS r
    JOIN staging.current_persons AS p
        ON p.partner_id = r.partner_id AND p.record_pseudonym = r.record_pseudonym
    LEFT JOIN _partner_sectors AS s ON s.partner_id = r.partner_id
),
-- Ties between a person's records go to the smallest value (ordered mode): the same inputs give
-- the same features whatever order DuckDB's threads read them in.
people AS (
    SELECT
        person_key,
        mode(birth_year ORDER BY birth_year) AS birth_year,
        coalesce(bool_or(age_90_plus), false) AS age_90_plus,
        coalesce(mode(sex ORDER BY sex) FILTER (WHERE sex IN ('F', 'M')), 'U') AS sex,
        mode(zip3 ORDER BY zip3) FILTER (WHERE zip3 IS NOT NULL) AS zip3,
        coalesce(bool_and(consented), false) AS all_records_consented,
        count(DISTINCT partner_id)::INTEGER AS n_partners,
        count(DISTINCT sector)::INTEGER AS n_sectors,
        coalesce(bool_or(sector = 'hospital'), false) AS sector_hospital,
        coalesce(bool_or(sector = 'public_health'), false) AS sector_public_health,
        coalesce(bool_or(sector = 'cbo_housing'), false) AS sector_cbo_housing,
        coalesce(bool_or(sector = 'cbo_food'), false) AS sector_cbo_food,
        coalesce(bool_or(sector = 'cbo_social'), false) AS sector_cbo_social
    FROM records
    GROUP BY person_key
)
SELECT
    CAST(row_number() OVER (ORDER BY p.person_key) AS INTEGER) AS person_id,
    p.* EXCLUDE (zip3),
    -- Safe Harbor: a ZIP3 with fewer than 20,000 people (or unknown) is published as 000.
    CASE WHEN z.population >= $min_zip3_population THEN p.zip3 ELSE '000' END AS zip3
FROM people AS p
LEFT JOIN _zip3_population AS z ON z.zip3 = p.zip3
