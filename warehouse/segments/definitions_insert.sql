INSERT INTO segments.definitions
VALUES ($segment, $version, $description, $owner, $rule, $rule_sql, $sha256, $as_of, $defined_at)
