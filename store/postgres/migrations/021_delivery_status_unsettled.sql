-- deliveries_status lists a tenant's deliveries of one status in id
-- order. Nearly all are processed, and a listing of those walks the
-- primary key (tenant, id) as quickly, passing over the few others: the
-- index leaves them out, and holds the deliveries still to apply, those
-- that failed and the duplicates, a few bytes a delivery instead of ~65.
-- Queries name the status as a constant, so that the planner knows
-- whether the index holds it.
DROP INDEX deliveries_status;
CREATE INDEX deliveries_status ON deliveries (tenant, status, id) WHERE status <> 'processed';
