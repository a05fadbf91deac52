-- Encoded person rows in the shape the Splink model reads: the spec columns (each token as its
-- 64-bit key, token_key.sql), the popcount of each Bloom filter (bfn_<field>) and a digest that
-- tells a changed record from a same one (over the tokens as received: a name in this select
-- list refers to linkage_source's column, never to the alias).
-- linkage_source is a temporary view over the caller's relation (see linkage/records.py).
SELECT
    partner_id,
    record_pseudonym,
    birth_year,
    sex,
    zip3,
    token_key(tok_name_dob) AS tok_name_dob,
    token_key(tok_first_dob) AS tok_first_dob,
    token_key(tok_last_dob) AS tok_last_dob,
    token_key(tok_fullname) AS tok_fullname,
    token_key(tok_first_addr) AS tok_first_addr,
    token_key(tok_dob_zip5_sex) AS tok_dob_zip5_sex,
    token_key(tok_phone) AS tok_phone,
    token_key(tok_ssn) AS tok_ssn,
    bf_first_0,
    bf_first_1,
    bf_first_2,
    bf_first_3,
    bf_first_4,
    bf_first_5,
    bf_first_6,
    bf_first_7,
    bf_last_0,
    bf_last_1,
    bf_last_2,
    bf_last_3,
    bf_last_4,
    bf_last_5,
    bf_last_6,
    bf_last_7,
    bf_addr_0,
    bf_addr_1,
    bf_addr_2,
    bf_addr_3,
    bf_addr_4,
    bf_addr_5,
    bf_addr_6,
    bf_addr_7,
    bf_dob_0,
    bf_dob_1,
    bf_dob_2,
    bf_dob_3,
    bf_dob_4,
    bf_dob_5,
    bf_dob_6,
    bf_dob_7,
    bf_ssn_0,
    bf_ssn_1,
    bf_ssn_2,
    bf_ssn_3,
    bf_ssn_4,
    bf_ssn_5,
    bf_ssn_6,
    bf_ssn_7,
    COALESCE(
        CAST(bit_count(bf_first_0) AS INTEGER)
        + CAST(bit_count(bf_first_1) AS INTEGER)
        + CAST(bit_count(bf_first_2) AS INTEGER)
        + CAST(bit_count(bf_first_3) AS INTEGER)
        + CAST(bit_count(bf_first_4) AS INTEGER)
        + CAST(bit_count(bf_first_5) AS INTEGER)
        + CAST(bit_count(bf_first_6) AS INTEGER)
        + CAST(bit_count(bf_first_7) AS INTEGER),
        0
    ) AS bfn_first,
    COALESCE(
        CAST(bit_count(bf_last_0) AS INTEGER)
        + CAST(bit_count(bf_last_1) AS INTEGER)
        + CAST(bit_count(bf_last_2) AS INTEGER)
        + CAST(bit_count(bf_last_3) AS INTEGER)
        + CAST(bit_count(bf_last_4) AS INTEGER)
        + CAST(bit_count(bf_last_5) AS INTEGER)
        + CAST(bit_count(bf_last_6) AS INTEGER)
        + CAST(bit_count(bf_last_7) AS INTEGER),
        0
    ) AS bfn_last,
    COALESCE(
        CAST(bit_count(bf_addr_0) AS INTEGER)
        + CAST(bit_count(bf_addr_1) AS INTEGER)
        + CAST(bit_count(bf_addr_2) AS INTEGER)
        + CAST(bit_count(bf_addr_3) AS INTEGER)
        + CAST(bit_count(bf_addr_4) AS INTEGER)
        + CAST(bit_count(bf_addr_5) AS INTEGER)
        + CAST(bit_count(bf_addr_6) AS INTEGER)
        + CAST(bit_count(bf_addr_7) AS INTEGER),
        0
    ) AS bfn_addr,
    COALESCE(
        CAST(bit_count(bf_dob_0) AS INTEGER)
        + CAST(bit_count(bf_dob_1) AS INTEGER)
        + CAST(bit_count(bf_dob_2) AS INTEGER)
        + CAST(bit_count(bf_dob_3) AS INTEGER)
        + CAST(bit_count(bf_dob_4) AS INTEGER)
        + CAST(bit_count(bf_dob_5) AS INTEGER)
        + CAST(bit_count(bf_dob_6) AS INTEGER)
        + CAST(bit_count(bf_dob_7) AS INTEGER),
        0
    ) AS bfn_dob,
    COALESCE(
        CAST(bit_count(bf_ssn_0) AS INTEGER)
        + CAST(bit_count(bf_ssn_1) AS INTEGER)
        + CAST(bit_count(bf_ssn_2) AS INTEGER)
        + CAST(bit_count(bf_ssn_3) AS INTEGER)
        + CAST(bit_count(bf_ssn_4) AS INTEGER)
        + CAST(bit_count(bf_ssn_5) AS INTEGER)
        + CAST(bit_count(bf_ssn_6) AS INTEGER)
        + CAST(bit_count(bf_ssn_7) AS INTEGER),
        0
    ) AS bfn_ssn,
    -- A 64-bit hash of every compared column: a record whose encodings changed gets another
    -- digest. DuckDB's hash() is ~5x cheaper than md5 over a concatenation; should a DuckDB
    -- upgrade change it, the next run sees every record changed and re-links in full.
    CAST(hash(
        birth_year,
        sex,
        zip3,
        tok_name_dob,
        tok_first_dob,
        tok_last_dob,
        tok_fullname,
        tok_first_addr,
        tok_dob_zip5_sex,
        tok_phone,
        tok_ssn,
        bf_first_0,
        bf_first_1,
        bf_first_2,
        bf_first_3,
        bf_first_4,
        bf_first_5,
        bf_first_6,
        bf_first_7,
        bf_last_0,
        bf_last_1,
        bf_last_2,
        bf_last_3,
        bf_last_4,
        bf_last_5,
        bf_last_6,
        bf_last_7,
        bf_addr_0,
        bf_addr_1,
        bf_addr_2,
        bf_addr_3,
        bf_addr_4,
        bf_addr_5,
        bf_addr_6,
        bf_addr_7,
        bf_dob_0,
        bf_dob_1,
        bf_dob_2,
        bf_dob_3,
        bf_dob_4,
        bf_dob_5,
        bf_dob_6,
        bf_dob_7,
        bf_ssn_0,
        bf_ssn_1,
        bf_ssn_2,
        bf_ssn_3,
        bf_ssn_4,
        bf_ssn_5,
        bf_ssn_6,
        bf_ssn_7
    ) AS VARCHAR) AS record_digest
FROM linkage_source
