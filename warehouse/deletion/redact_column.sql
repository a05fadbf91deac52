-- Template: replace one forgotten pseudonym inside one text column by a marker.
UPDATE target_schema.target_table
SET target_column = replace(CAST(target_column AS VARCHAR), $pseudonym, '[deleted]')
WHERE contains(CAST(target_column AS VARCHAR), $pseudonym)
