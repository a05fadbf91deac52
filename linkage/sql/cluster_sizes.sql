-- Cluster-size distribution of the current answer, for the asset checks and metadata.
SELECT
    count(*) AS persons,
    coalesce(sum(n_records), 0) AS records,
    coalesce(max(n_records), 0) AS largest,
    coalesce(avg(CASE WHEN n_records = 1 THEN 1.0 ELSE 0.0 END), 0) AS singleton_share,
    count(*) FILTER (WHERE n_partners > 1) AS multi_partner_persons,
    (SELECT count(*) - count(DISTINCT person_key) FROM linkage.persons) AS duplicate_keys,
    (
        SELECT count(*) - count(DISTINCT (partner_id, record_pseudonym))
        FROM linkage.person_records
    ) AS duplicate_records
FROM linkage.persons;
