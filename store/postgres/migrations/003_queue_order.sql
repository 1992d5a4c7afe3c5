-- Claims take the oldest due deliveries first: indexes in that order, over
-- the deliveries still to apply only, so that a claim reads a few index
-- entries however long the queue, instead of sorting it.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_queue ON deliveries (received_at, id) WHERE status IN ('pending', 'failed');
CREATE INDEX deliveries_tenant_queue ON deliveries (tenant, received_at, id) WHERE status IN ('pending', 'failed');
