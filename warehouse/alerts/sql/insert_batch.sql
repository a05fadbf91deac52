-- Record one events package as alerted on.
INSERT INTO alerts.batches
VALUES (
    $submission_id, $partner_id, $run_id, $received_at, $written_at, $latency_seconds,
    $events, $alerts_sent, $recipients, $counts
);
