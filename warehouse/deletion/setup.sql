-- Working tables of one deletion request: the pseudonyms (insert_forget.sql), the linked
-- persons they belong to, and the persons left with no record.
CREATE OR REPLACE TEMP TABLE forget_pseudonyms (record_pseudonym VARCHAR);
CREATE OR REPLACE TEMP TABLE affected_persons (person_key VARCHAR);
CREATE OR REPLACE TEMP TABLE orphan_persons (person_key VARCHAR);
CREATE OR REPLACE TEMP TABLE purge_persons (person_key VARCHAR);
