INSERT INTO ops.disclosure_relations (structure, relation, sense, is_total, cell, coef)
SELECT $structure, unnest($relation), unnest($sense), unnest($is_total), unnest($cell),
    unnest($coef)
