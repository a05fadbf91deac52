INSERT INTO staging.column_profiles (submission_id, file, column_name, value)
SELECT $submission_id, unnest($files), unnest($columns), unnest($profile_values);
