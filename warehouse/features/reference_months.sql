CREATE OR REPLACE TABLE features.reference_months (
    month DATE PRIMARY KEY,
    as_of DATE NOT NULL,
    month_index INTEGER GENERATED ALWAYS AS (year(month) * 12 + month(month) - 1)
);
