-- Person keys of the records being forgotten (run before linkage rows are deleted).
INSERT INTO affected_persons
SELECT DISTINCT r.person_key
FROM linkage.person_records AS r
WHERE r.partner_id = $partner
  AND r.record_pseudonym IN (SELECT record_pseudonym FROM forget_pseudonyms)
