-- Remove the persons $keys from every person-level table the marts read (an earlier night).
DELETE FROM features.monthly_events
WHERE person_id IN (SELECT person_id FROM features.persons WHERE list_contains($keys, person_key));
DELETE FROM features.event_month
WHERE person_id IN (SELECT person_id FROM features.persons WHERE list_contains($keys, person_key));
DELETE FROM features.person_features WHERE list_contains($keys, person_key);
DELETE FROM segments.membership WHERE list_contains($keys, person_key);
DELETE FROM segments.membership_monthly WHERE list_contains($keys, person_key);
DELETE FROM features.persons WHERE list_contains($keys, person_key);
