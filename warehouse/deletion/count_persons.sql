-- How many linked persons a deletion touched, and how many it removed.
SELECT
    (SELECT count(*) FROM affected_persons) AS affected,
    (SELECT count(*) FROM orphan_persons) AS removed
