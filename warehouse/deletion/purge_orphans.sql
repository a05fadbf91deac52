-- Person keys purged from every other table: persons left with no record.
DELETE FROM purge_persons;
INSERT INTO purge_persons SELECT person_key FROM orphan_persons;
