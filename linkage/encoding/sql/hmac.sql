-- HMAC-SHA256 (RFC 2104) of every distinct message, truncated to $n_hex lower-hex characters.
-- $inner is the 64-byte key block XOR ipad (0x36), $outer the key block XOR opad (0x5c).
SELECT
    msg,
    left(sha256($outer || unhex(sha256($inner || encode(msg)))), $n_hex) AS mac
FROM messages
