-- Inside Splink's work database: the pairs at one guard level whose SSNs are known on both
-- sides, with their match weight without the SSN's (linkage/guards.py learns the guard's weight
-- from them) and whether the SSNs agree exactly.
-- Input: scored_all (every candidate pair of a sample, with gamma_* and mw_* columns).
SELECT
    match_weight - mw_ssn AS rest_weight,
    gamma_ssn = $ssn_exact AS ssn_agrees
FROM scored_all
WHERE gamma_ssn <> -1
    AND (CASE $comparison WHEN 'name' THEN gamma_name WHEN 'dob' THEN gamma_dob END) = $gamma;
