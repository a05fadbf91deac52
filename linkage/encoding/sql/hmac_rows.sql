-- Row-wise HMAC-SHA256 (RFC 2104) of the near-unique messages of spec 1.0, one pass.
-- For each output column c: $c_inner / $c_outer are the 64-byte key blocks XOR ipad / opad;
-- a NULL message gives a NULL token. Low-cardinality tokens use hmac.sql over distinct values.
SELECT
    left(sha256($record_pseudonym_outer || unhex(sha256($record_pseudonym_inner || encode(record_pseudonym)))), 64) AS record_pseudonym,
    left(sha256($tok_name_dob_outer || unhex(sha256($tok_name_dob_inner || encode(tok_name_dob)))), 32) AS tok_name_dob,
    left(sha256($tok_first_dob_outer || unhex(sha256($tok_first_dob_inner || encode(tok_first_dob)))), 32) AS tok_first_dob,
    left(sha256($tok_last_dob_outer || unhex(sha256($tok_last_dob_inner || encode(tok_last_dob)))), 32) AS tok_last_dob,
    left(sha256($tok_fullname_outer || unhex(sha256($tok_fullname_inner || encode(tok_fullname)))), 32) AS tok_fullname,
    left(sha256($tok_addr_outer || unhex(sha256($tok_addr_inner || encode(tok_addr)))), 32) AS tok_addr,
    left(sha256($tok_phone_outer || unhex(sha256($tok_phone_inner || encode(tok_phone)))), 32) AS tok_phone,
    left(sha256($tok_ssn_outer || unhex(sha256($tok_ssn_inner || encode(tok_ssn)))), 32) AS tok_ssn
FROM row_messages
