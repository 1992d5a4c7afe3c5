-- donorsync schema, version 1. Every key starts with the tenant.
-- Records are kept as JSON in "data", with the columns the store looks
-- them up by beside it. Times in columns are microseconds since 1970 UTC.

CREATE TABLE deliveries (
	tenant       TEXT    NOT NULL,
	id           TEXT    NOT NULL,
	provider     TEXT    NOT NULL,
	kind         TEXT    NOT NULL,
	key          TEXT    NOT NULL,
	body         BLOB    NOT NULL,
	received_at  INTEGER NOT NULL,
	status       TEXT    NOT NULL,
	duplicate_of TEXT    NOT NULL,
	attempts     INTEGER NOT NULL,
	error        TEXT    NOT NULL,
	updated_at   INTEGER NOT NULL,
	PRIMARY KEY (tenant, id)
); -- a rowid table: rows hold whole bodies, too large for WITHOUT ROWID
CREATE UNIQUE INDEX deliveries_key ON deliveries (tenant, provider, key) WHERE status <> 'duplicate';
CREATE INDEX deliveries_status ON deliveries (tenant, status, id);

CREATE TABLE contacts (
	tenant TEXT NOT NULL,
	id     TEXT NOT NULL,
	data   TEXT NOT NULL,
	PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

CREATE TABLE contact_keys (
	tenant     TEXT NOT NULL,
	kind       TEXT NOT NULL,
	value      TEXT NOT NULL,
	contact_id TEXT NOT NULL,
	PRIMARY KEY (tenant, kind, value)
) WITHOUT ROWID;
CREATE INDEX contact_keys_contact ON contact_keys (tenant, contact_id);

CREATE TABLE donations (
	tenant      TEXT NOT NULL,
	provider    TEXT NOT NULL,
	external_id TEXT NOT NULL,
	id          TEXT NOT NULL,
	contact_id  TEXT NOT NULL,
	data        TEXT NOT NULL,
	PRIMARY KEY (tenant, provider, external_id)
) WITHOUT ROWID;
CREATE INDEX donations_id ON donations (tenant, id);
CREATE INDEX donations_contact ON donations (tenant, contact_id);

CREATE TABLE adjustments (
	tenant      TEXT NOT NULL,
	provider    TEXT NOT NULL,
	key         TEXT NOT NULL,
	donation_id TEXT NOT NULL,
	data        TEXT NOT NULL,
	PRIMARY KEY (tenant, provider, key)
) WITHOUT ROWID;
CREATE INDEX adjustments_donation ON adjustments (tenant, provider, donation_id, key);

CREATE TABLE commitments (
	tenant      TEXT NOT NULL,
	provider    TEXT NOT NULL,
	external_id TEXT NOT NULL,
	id          TEXT NOT NULL,
	contact_id  TEXT NOT NULL,
	data        TEXT NOT NULL,
	PRIMARY KEY (tenant, provider, external_id)
) WITHOUT ROWID;
CREATE INDEX commitments_id ON commitments (tenant, id);
CREATE INDEX commitments_contact ON commitments (tenant, contact_id);

CREATE TABLE activities (
	tenant     TEXT NOT NULL,
	provider   TEXT NOT NULL,
	key        TEXT NOT NULL,
	contact_id TEXT NOT NULL,
	data       TEXT NOT NULL,
	PRIMARY KEY (tenant, provider, key)
) WITHOUT ROWID;
CREATE INDEX activities_contact ON activities (tenant, contact_id, provider, key);
