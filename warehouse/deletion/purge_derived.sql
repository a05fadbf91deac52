-- Person keys whose derived rows (features, segments) are purged: every affected person.
DELETE FROM purge_persons;
INSERT INTO purge_persons SELECT person_key FROM affected_persons;
