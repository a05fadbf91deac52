DROP TABLE IF EXISTS temp.ingest_persons;
DROP TABLE IF EXISTS temp.ingest_events;
