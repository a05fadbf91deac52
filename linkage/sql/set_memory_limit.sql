-- Set the database's memory limit (bound parameter, e.g. '1GB').
SET memory_limit = $limit;
