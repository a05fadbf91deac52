-- The part of the current answer a run may change: all of it (a full re-link).
CREATE OR REPLACE TEMP VIEW old_records AS
SELECT * FROM linkage.person_records;

CREATE OR REPLACE TEMP VIEW old_persons AS
SELECT * FROM linkage.persons;
