-- The published marts file, read-only, in a private in-memory connection.
ATTACH $path AS marts (READ_ONLY);
