-- The current features, materialised: the rows of the last reference month.
CREATE OR REPLACE TABLE features.person_features AS
SELECT * EXCLUDE (month)
FROM features.person_month
WHERE month = $month
