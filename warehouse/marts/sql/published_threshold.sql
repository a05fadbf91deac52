-- The small-cell threshold a published marts.duckdb was suppressed with (its `about` table).
SELECT CAST(value AS INTEGER) FROM about WHERE key = 'threshold';
