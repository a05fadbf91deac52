INSERT INTO ops.disclosure_cells (release_id, cell, shown, structural, sparse)
SELECT $release_id, unnest($cells), unnest($shown), unnest($structural), unnest($sparse)
ON CONFLICT (release_id, cell) DO NOTHING
