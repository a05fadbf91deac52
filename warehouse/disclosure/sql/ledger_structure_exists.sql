SELECT count(*) > 0 FROM ops.disclosure_relations WHERE structure = $structure
