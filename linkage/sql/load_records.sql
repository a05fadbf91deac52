-- Inside Splink's work database: materialise the prepared records (an Arrow view).
CREATE OR REPLACE TABLE records AS
SELECT * FROM records_arrow;
