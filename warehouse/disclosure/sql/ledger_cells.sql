SELECT cell, shown, structural, sparse FROM ops.disclosure_cells WHERE release_id = $release_id
