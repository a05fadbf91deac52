-- The database's current memory limit (restored after a linkage run).
SELECT current_setting('memory_limit');
