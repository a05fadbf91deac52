-- Records to link in an incremental run: current, but not yet in the answer.
SELECT c.partner_id, c.record_pseudonym
FROM current_records AS c
ANTI JOIN linkage.person_records AS p USING (partner_id, record_pseudonym)
ORDER BY c.partner_id, c.record_pseudonym;
