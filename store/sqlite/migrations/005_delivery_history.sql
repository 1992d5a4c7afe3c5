-- The outcomes of a delivery's earlier attempts, as a JSON array; empty
-- for a delivery applied at its first attempt.
ALTER TABLE deliveries ADD COLUMN history TEXT NOT NULL DEFAULT '';
