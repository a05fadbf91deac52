-- The 64-bit key the hub links on for a keyed token: its first 16 hex digits (of 32) as a
-- signed BIGINT (shifted by 2^63 so that every value fits; Spark reads BIGINT, not UBIGINT).
-- Tokens are uniform AES-CMAC outputs, so 64 of their 128 bits separate distinct values as
-- well as all of them do for linkage: two different tokens of one column share a key with
-- probability n^2 / 2^65 among n values (3e-8 at a million records). Joins and equality on a
-- BIGINT cost a fraction of those on a 32-character string (benchmarks/RESULTS.md, issue 15).
CREATE OR REPLACE TEMP MACRO token_key(token) AS
    CAST(
        CAST(CAST('0x' || left(token, 16) AS UBIGINT) AS HUGEINT) - 9223372036854775808
        AS BIGINT
    );
