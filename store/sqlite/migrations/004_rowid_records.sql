-- Records kept as JSON are often longer than the ~1,000 bytes a WITHOUT
-- ROWID row keeps in its page (the rest goes to an overflow page of its
-- own): each write then dirtied a second page, and each read read one.
-- They move to rowid tables, whose rows keep up to ~4,000 bytes in the
-- page, with the natural key as a unique index beside them. Contact keys
-- stay WITHOUT ROWID: their rows are short.

CREATE TABLE contacts_new (
	tenant TEXT NOT NULL,
	id     TEXT NOT NULL,
	data   TEXT NOT NULL,
	PRIMARY KEY (tenant, id)
);
INSERT INTO contacts_new (tenant, id, data) SELECT tenant, id, data FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_new RENAME TO contacts;

CREATE TABLE donations_new (
	tenant      TEXT NOT NULL,
	provider    TEXT NOT NULL,
	external_id TEXT NOT NULL,
	id          TEXT NOT NULL,
	contact_id  TEXT NOT NULL,
	data        TEXT NOT NULL,
	PRIMARY KEY (tenant, provider, external_id)
);
INSERT INTO donations_new (tenant, provider, external_id, id, contact_id, data)
	SELECT tenant, provider, external_id, id, contact_id, data FROM donations;
DROP TABLE donations;
ALTER TABLE donations_new RENAME TO donations;
CREATE INDEX donations_id ON donations (tenant, id);
CREATE INDEX donations_contact ON donations (tenant, contact_id);

CREATE TABLE adjustments_new (
	tenant      TEXT NOT NULL,
	provider    TEXT NOT NULL,
	key         TEXT NOT NULL,
	donation_id TEXT NOT NULL,
	data        TEXT NOT NULL,
	PRIMARY KEY (tenant, provider, key)
);
INSERT INTO adjustments_new (tenant, provider, key, donation_id, data)
	SELECT tenant, provider, key, donation_id, data FROM adjustments;
DROP TABLE adjustments;
ALTER TABLE adjustments_new RENAME TO adjustments;
CREATE INDEX adjustments_donation ON adjustments (tenant, provider, donation_id, key);

CREATE TABLE commitments_new (
	tenant      TEXT NOT NULL,
	provider    TEXT NOT NULL,
	external_id TEXT NOT NULL,
	id          TEXT NOT NULL,
	contact_id  TEXT NOT NULL,
	data        TEXT NOT NULL,
	PRIMARY KEY (tenant, provider, external_id)
);
INSERT INTO commitments_new (tenant, provider, external_id, id, contact_id, data)
	SELECT tenant, provider, external_id, id, contact_id, data FROM commitments;
DROP TABLE commitments;
ALTER TABLE commitments_new RENAME TO commitments;
CREATE INDEX commitments_id ON commitments (tenant, id);
CREATE INDEX commitments_contact ON commitments (tenant, contact_id);

CREATE TABLE activities_new (
	tenant     TEXT NOT NULL,
	provider   TEXT NOT NULL,
	key        TEXT NOT NULL,
	contact_id TEXT NOT NULL,
	data       TEXT NOT NULL,
	PRIMARY KEY (tenant, provider, key)
);
INSERT INTO activities_new (tenant, provider, key, contact_id, data)
	SELECT tenant, provider, key, contact_id, data FROM activities;
DROP TABLE activities;
ALTER TABLE activities_new RENAME TO activities;
CREATE INDEX activities_contact ON activities (tenant, contact_id, provider, key);
