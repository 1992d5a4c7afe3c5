-- The change feed. Each tenant's changes are numbered from 1 by position,
-- in commit order: a writing transaction adds to its tenant's row in
-- change_heads last, and holds that row's lock until it commits. The row
-- holds the last position given, so that a feed pruned to nothing goes on
-- where it was. "data" is the JSON of the change without the columns
-- beside it (tenant, position, at). Fixed-width columns first: no padding.
CREATE TABLE changes (
	position BIGINT NOT NULL,
	at       BIGINT NOT NULL,
	tenant   TEXT   NOT NULL,
	data     BYTEA  NOT NULL,
	PRIMARY KEY (tenant, position)
);

-- Updated by every transaction that appends: room in each page for the
-- new row version (a HOT update).
CREATE TABLE change_heads (
	position BIGINT NOT NULL,
	tenant   TEXT   NOT NULL PRIMARY KEY
) WITH (fillfactor = 50);

-- A consumer's place in a tenant's feed, and who leases it until when;
-- claimed_at, when it was last claimed, so that claims take turns.
CREATE TABLE change_cursors (
	position     BIGINT NOT NULL,
	leased_until BIGINT NOT NULL,
	claimed_at   BIGINT NOT NULL,
	consumer     TEXT   NOT NULL,
	tenant       TEXT   NOT NULL,
	token        TEXT   NOT NULL,
	PRIMARY KEY (consumer, tenant)
);
