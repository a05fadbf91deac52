-- Inside Splink's work database: the DOB levels of the pairs of one full name whose SSNs show
-- two people (known on both sides, at the SSN's else level). Their DOB filters share both
-- name salts, as the pairs the DOB levels decide do, so these are the DOB levels' chance
-- rates among namesakes (model.correct_close_dob_u).
-- Input: namesakes (every pair of a sample of one full name, with gamma_* columns).
SELECT gamma_dob AS gamma, count(*) AS pairs
FROM namesakes
WHERE gamma_name = $name_exact AND gamma_ssn = 0 AND gamma_dob <> -1
GROUP BY gamma_dob;
