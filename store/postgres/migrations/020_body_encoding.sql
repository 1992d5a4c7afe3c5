-- The encoding of each delivery's body: 0 for a body kept as received,
-- as every body was before this column; 1 for zstd with the dictionary of
-- the platforms' JSON (see sqlstore.Codec). Rows written before keep 0
-- and read as they are: adding a column with a constant default rewrites
-- none.
ALTER TABLE deliveries ADD COLUMN body_encoding SMALLINT NOT NULL DEFAULT 0;
