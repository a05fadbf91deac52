-- Inside Splink's work database: the persons chains.py examines.
SELECT count(DISTINCT cluster_id) FROM chain_members;
