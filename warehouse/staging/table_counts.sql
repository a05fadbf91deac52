-- Row counts of the staging tables (tests and status).
SELECT
    (SELECT count(*) FROM staging.submissions) AS submissions,
    (SELECT count(*) FROM staging.persons) AS persons,
    (SELECT count(*) FROM staging.events) AS events;
