-- Default reference date: the latest event date, or today when there are no events.
SELECT coalesce(max(event_date), current_date) FROM staging.current_events
WHERE event_date <= current_date
