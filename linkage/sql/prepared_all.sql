-- Every prepared record. Input: prepared_records.
SELECT * FROM prepared_records;
