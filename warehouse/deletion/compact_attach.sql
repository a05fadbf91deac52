-- Attach the fresh file that the hub database is copied into.
ATTACH $path AS compacted
