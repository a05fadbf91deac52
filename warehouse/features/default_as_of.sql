-- Default reference date: the latest event date, or today when there are no events.
SELECT coalesce(max(event_date), $today) FROM staging.current_events
WHERE event_date <= $today
