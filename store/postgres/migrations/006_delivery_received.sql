-- JournalStats reads each tenant's providers, the last delivery of each,
-- and the deliveries received since a time, from this index: a few
-- entries per provider and those of the time asked for, instead of the
-- whole table. Written once per delivery: no column of it changes after,
-- so a claim's update stays in its page (004) as before.
CREATE INDEX deliveries_received ON deliveries (tenant, provider, received_at);
