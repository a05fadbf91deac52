-- Working tables of one deletion request: the pseudonyms (from the registered forget_input
-- relation), the linked persons they belong to, and the persons left with no record.
CREATE OR REPLACE TEMP TABLE forget_pseudonyms AS
SELECT DISTINCT CAST(record_pseudonym AS VARCHAR) AS record_pseudonym FROM forget_input;
CREATE OR REPLACE TEMP TABLE affected_persons (person_key VARCHAR);
CREATE OR REPLACE TEMP TABLE orphan_persons (person_key VARCHAR);
CREATE OR REPLACE TEMP TABLE purge_persons (person_key VARCHAR);
