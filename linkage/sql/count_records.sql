-- How many records the run links. Input: linkage_records.
SELECT count(*) FROM linkage_records;
