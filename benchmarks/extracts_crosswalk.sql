-- One partner's crosswalk of the benchmark hub (pseudonym -> record id).
SELECT record_pseudonym, 'R' || i AS record_id FROM recs WHERE partner_id = $p
