-- The release ledger: what every publication that left the hub showed, so that the audit of the
-- next one attacks them together (no sequence of publications may narrow a withheld count).
-- Only published numbers are stored (a withheld count is NULL), never a true count.
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.disclosure_releases (
    release_id VARCHAR PRIMARY KEY,     -- "<output>:<version>"
    output VARCHAR NOT NULL,            -- marts, report, extract:<partner>
    version VARCHAR NOT NULL,
    released_at TIMESTAMPTZ NOT NULL,
    threshold INTEGER NOT NULL,
    max_noise INTEGER NOT NULL,         -- the published noise bound (0: exact counts)
    structure VARCHAR,                  -- sha256 of its relations (ops.disclosure_relations)
    derived_from VARCHAR,               -- a release whose numbers this one only re-shows
    cells INTEGER NOT NULL,
    withheld INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ops.disclosure_cells (
    release_id VARCHAR NOT NULL,
    cell VARCHAR NOT NULL,              -- the cell key as JSON (category labels, no identifier)
    shown INTEGER,                      -- the published number; NULL: withheld
    structural BOOLEAN NOT NULL,        -- its row exists whatever the count
    sparse BOOLEAN NOT NULL,            -- listed only when shown (withheld: no row)
    PRIMARY KEY (release_id, cell)
);
-- Relations are stored once per distinct set (consecutive publications share them).
CREATE TABLE IF NOT EXISTS ops.disclosure_relations (
    structure VARCHAR NOT NULL,
    relation INTEGER NOT NULL,
    sense VARCHAR NOT NULL,             -- eq: sum(coef * cell) = 0; le: <= 0
    is_total BOOLEAN NOT NULL,          -- the cell is the margin's total
    cell VARCHAR NOT NULL,
    coef INTEGER NOT NULL
);
