-- Queued mode: when a delivery may be tried again, and a worker's claim.
ALTER TABLE deliveries ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, received_at) WHERE status IN ('pending', 'failed');
