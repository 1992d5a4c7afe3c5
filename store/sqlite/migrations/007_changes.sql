-- The change feed. Each tenant's changes are numbered from 1 by position,
-- in commit order; change_heads holds the last position given, so that a
-- feed pruned to nothing goes on where it was. "data" is the JSON of the
-- change without the columns beside it (tenant, position, at). A rowid
-- table: a change carries a record, often over the ~1,000 bytes a WITHOUT
-- ROWID row keeps in its page (see 004).
CREATE TABLE changes (
	tenant   TEXT    NOT NULL,
	position INTEGER NOT NULL,
	at       INTEGER NOT NULL,
	data     BLOB    NOT NULL,
	PRIMARY KEY (tenant, position)
);

CREATE TABLE change_heads (
	tenant   TEXT    NOT NULL PRIMARY KEY,
	position INTEGER NOT NULL
) WITHOUT ROWID;

-- A consumer's place in a tenant's feed, and who leases it until when;
-- claimed_at, when it was last claimed, so that claims take turns.
CREATE TABLE change_cursors (
	consumer     TEXT    NOT NULL,
	tenant       TEXT    NOT NULL,
	position     INTEGER NOT NULL,
	token        TEXT    NOT NULL,
	leased_until INTEGER NOT NULL,
	claimed_at   INTEGER NOT NULL,
	PRIMARY KEY (consumer, tenant)
) WITHOUT ROWID;
