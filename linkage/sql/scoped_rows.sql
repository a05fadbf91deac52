-- The current rows of the records keyed in scope_keys only, by the rule of the view
-- staging.current_persons (warehouse/staging/schema.sql: a record's row from its latest
-- ingested submission). Filtering the keys before the window is what keeps a scoped run off
-- the hub's other million rows: DuckDB does not push a semi join through the view's window.
CREATE OR REPLACE TEMP VIEW scoped_rows AS
SELECT p.*
FROM staging.persons AS p
SEMI JOIN scope_keys AS k USING (partner_id, record_pseudonym)
JOIN staging.submissions AS s ON s.submission_id = p.submission_id
WHERE s.state = 'ingested'
QUALIFY row_number() OVER (
    PARTITION BY p.partner_id, p.record_pseudonym
    ORDER BY s.ingested_at DESC, s.submission_id DESC
) = 1;
