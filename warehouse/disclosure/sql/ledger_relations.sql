SELECT relation, sense, is_total, cell, coef
FROM ops.disclosure_relations
WHERE structure = $structure
ORDER BY relation, rowid
