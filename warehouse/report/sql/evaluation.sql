SELECT program, cohort, people, ed_ip_per_1000_before, ed_ip_per_1000_after, change_per_1000,
    difference_in_differences_per_1000, first_index_month, last_index_month
FROM program_evaluation
ORDER BY program, cohort DESC
