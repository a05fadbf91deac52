-- Template: remove rows of the given person keys from one table.
DELETE FROM target_schema.target_table
WHERE key_column IN (SELECT person_key FROM purge_persons)
