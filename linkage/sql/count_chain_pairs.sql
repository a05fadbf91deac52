-- Inside Splink's work database: the pairs chains.py scored.
SELECT count(*) FROM chain_pairs;
