-- The stored form a CRM can query: each record table gets typed
-- columns, named in snake case, for what people query (docs/schema.md),
-- and keeps the rest of a record in "data" as JSON with snake-case
-- keys, leaving out what has no value. Adjustments and activities have
-- a column for every field, and no "data". Until now "data" held the
-- whole record, its keys the Go field names.
--
-- Amounts are exact decimal text (TEXT affinity keeps "0.10" as it is;
-- arithmetic reads it as a number). Times are UTC text to the
-- microsecond, "2024-06-07 19:49:33.000001", which sorts as time and
-- which date() and strftime() read; NULL for none (Go's zero time). The
-- tables are built anew and the rows copied, as in 004.

-- The times of the old records, as RFC 3339 text (a "Z" or an offset,
-- up to nine digits of a second), and as the time columns keep them.
CREATE TEMP TABLE v009_times (rfc3339 TEXT PRIMARY KEY, utc TEXT) WITHOUT ROWID;
INSERT OR IGNORE INTO v009_times (rfc3339)
	SELECT t FROM (
		SELECT json_extract(data, '$.CreatedAt') AS t FROM contacts
		UNION ALL SELECT json_extract(data, '$.UpdatedAt') FROM contacts
		UNION ALL SELECT json_extract(data, '$.PaidAt') FROM donations
		UNION ALL SELECT json_extract(data, '$.CreatedAt') FROM donations
		UNION ALL SELECT json_extract(data, '$.SettledAt') FROM donations
		UNION ALL SELECT json_extract(data, '$.UpdatedAt') FROM donations
		UNION ALL SELECT json_extract(data, '$.At') FROM adjustments
		UNION ALL SELECT json_extract(data, '$.StartedAt') FROM commitments
		UNION ALL SELECT json_extract(data, '$.CancelledAt') FROM commitments
		UNION ALL SELECT json_extract(data, '$.FailedAt') FROM commitments
		UNION ALL SELECT json_extract(data, '$.LastChargedAt') FROM commitments
		UNION ALL SELECT json_extract(data, '$.UpdatedAt') FROM commitments
		UNION ALL SELECT json_extract(data, '$.At') FROM activities)
	WHERE t IS NOT NULL AND t <> '0001-01-01T00:00:00Z';
UPDATE v009_times SET utc =
	datetime(substr(rfc3339, 1, 19) || CASE WHEN rfc3339 LIKE '%Z' THEN 'Z' ELSE substr(rfc3339, -6) END)
	|| '.' || substr(CASE WHEN substr(rfc3339, 20, 1) = '.'
		THEN substr(rfc3339, 21, length(rfc3339) - 20 - CASE WHEN rfc3339 LIKE '%Z' THEN 1 ELSE 6 END)
		ELSE '' END || '000000', 1, 6);

CREATE TABLE contacts_new (
	tenant        TEXT NOT NULL,
	id            TEXT NOT NULL,
	first_name    TEXT NOT NULL,
	middle_name   TEXT NOT NULL,
	last_name     TEXT NOT NULL,
	suffix        TEXT NOT NULL,
	email         TEXT NOT NULL,
	phone         TEXT NOT NULL,
	address_line1 TEXT NOT NULL,
	address_line2 TEXT NOT NULL,
	city          TEXT NOT NULL,
	state         TEXT NOT NULL,
	postal_code   TEXT NOT NULL,
	country       TEXT NOT NULL,
	employer      TEXT NOT NULL,
	occupation    TEXT NOT NULL,
	created_at    TEXT,
	updated_at    TEXT,
	data          TEXT NOT NULL,
	PRIMARY KEY (tenant, id)
);
INSERT INTO contacts_new (tenant, id, first_name, middle_name, last_name, suffix, email, phone, address_line1, address_line2, city, state, postal_code, country, employer, occupation, created_at, updated_at, data)
SELECT
	tenant,
	id,
	coalesce(json_extract(data, '$.FirstName'), ''),
	coalesce(json_extract(data, '$.MiddleName'), ''),
	coalesce(json_extract(data, '$.LastName'), ''),
	coalesce(json_extract(data, '$.Suffix'), ''),
	coalesce(json_extract(data, '$.Email'), ''),
	coalesce(json_extract(data, '$.Phone'), ''),
	coalesce(json_extract(data, '$.Address.Line1'), ''),
	coalesce(json_extract(data, '$.Address.Line2'), ''),
	coalesce(json_extract(data, '$.Address.City'), ''),
	coalesce(json_extract(data, '$.Address.State'), ''),
	coalesce(json_extract(data, '$.Address.PostalCode'), ''),
	coalesce(json_extract(data, '$.Address.Country'), ''),
	coalesce(json_extract(data, '$.Employer'), ''),
	coalesce(json_extract(data, '$.Occupation'), ''),
	(SELECT utc FROM v009_times WHERE rfc3339 = json_extract(data, '$.CreatedAt')),
	(SELECT utc FROM v009_times WHERE rfc3339 = json_extract(data, '$.UpdatedAt')),
	json_patch('{}', json_object(
		'emails', json(NULLIF(json_extract(data, '$.Emails'), '[]')),
		'phones', json(NULLIF((SELECT json_group_array(json_patch('{}', json_object(
				'number', NULLIF(json_extract(value, '$.Number'), ''),
				'raw', NULLIF(json_extract(value, '$.Raw'), ''))))
			FROM json_each(data, '$.Phones') WHERE type = 'object'), '[]')),
		'custom', json(NULLIF(json_extract(data, '$.Custom'), '{}')),
		'tags', json(NULLIF(json_extract(data, '$.Tags'), '[]')),
		'sources', json(NULLIF((SELECT json_group_array(json_patch('{}', json_object(
				'provider', coalesce(json_extract(value, '$.Provider'), ''),
				'donor_id', NULLIF(json_extract(value, '$.DonorID'), ''))))
			FROM json_each(data, '$.Sources') WHERE type = 'object'), '[]')),
		'seen', json(NULLIF(json_extract(data, '$.Seen'), '{}'))))
FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_new RENAME TO contacts;

CREATE TABLE donations_new (
	tenant          TEXT NOT NULL,
	provider        TEXT NOT NULL,
	external_id     TEXT NOT NULL,
	id              TEXT NOT NULL,
	contact_id      TEXT NOT NULL,
	order_number    TEXT NOT NULL,
	amount          TEXT NOT NULL,
	currency        TEXT NOT NULL,
	net             TEXT,
	fees            TEXT,
	status          TEXT NOT NULL,
	refunded_amount TEXT NOT NULL,
	paid_at         TEXT,
	created_at      TEXT,
	settled_at      TEXT,
	recipient_id    TEXT NOT NULL,
	form            TEXT NOT NULL,
	fund            TEXT NOT NULL,
	commitment_id   TEXT NOT NULL,
	updated_at      TEXT,
	data            TEXT NOT NULL,
	PRIMARY KEY (tenant, provider, external_id)
);
INSERT INTO donations_new (tenant, provider, external_id, id, contact_id, order_number, amount, currency, net, fees, status, refunded_amount, paid_at, created_at, settled_at, recipient_id, form, fund, commitment_id, updated_at, data)
SELECT
	tenant,
	provider,
	external_id,
	id,
	contact_id,
	coalesce(json_extract(data, '$.OrderNumber'), ''),
	coalesce(json_extract(data, '$.Amount'), '0'),
	coalesce(json_extract(data, '$.Currency'), ''),
	json_extract(data, '$.Net'),
	json_extract(data, '$.Fees'),
	coalesce(json_extract(data, '$.Status'), ''),
	coalesce(json_extract(data, '$.Refunded'), '0'),
	(SELECT utc FROM v009_times WHERE rfc3339 = json_extract(data, '$.PaidAt')),
	(SELECT utc FROM v009_times WHERE rfc3339 = json_extract(data, '$.CreatedAt')),
	(SELECT utc FROM v009_times WHERE rfc3339 = json_extract(data, '$.SettledAt')),
	coalesce(json_extract(data, '$.RecipientID'), ''),
	coalesce(json_extract(data, '$.Form'), ''),
	coalesce(json_extract(data, '$.Fund'), ''),
	coalesce(json_extract(data, '$.CommitmentID'), ''),
	(SELECT utc FROM v009_times WHERE rfc3339 = json_extract(data, '$.UpdatedAt')),
	json_patch('{}', json_object(
		'recipient_name', NULLIF(json_extract(data, '$.RecipientName'), ''),
		'fec_id', NULLIF(json_extract(data, '$.FECID'), ''),
		'origin', NULLIF(json_extract(data, '$.Origin'), ''),
		'refcodes', json(NULLIF(json_extract(data, '$.Refcodes'), '{}')),
		'custom', json(NULLIF(json_extract(data, '$.Custom'), '{}')),
		'recurrence', CASE WHEN coalesce(json_extract(data, '$.Recurrence.Period'), '') = ''
			AND coalesce(json_extract(data, '$.Recurrence.Duration'), '') = ''
			AND coalesce(json_extract(data, '$.Recurrence.Sequence'), 0) = 0
			AND NOT coalesce(json_extract(data, '$.Recurrence.Valid'), 0)
			THEN NULL ELSE json_patch('{}', json_object(
				'period', NULLIF(json_extract(data, '$.Recurrence.Period'), ''),
				'duration', NULLIF(json_extract(data, '$.Recurrence.Duration'), ''),
				'sequence', coalesce(json_extract(data, '$.Recurrence.Sequence'), 0),
				'valid', CASE WHEN json_extract(data, '$.Recurrence.Valid') THEN json('true') END)) END,
		'payment', CASE WHEN coalesce(json_extract(data, '$.Payment.Method'), '') = ''
			AND coalesce(json_extract(data, '$.Payment.Reference'), '') = ''
			AND NOT coalesce(json_extract(data, '$.Payment.PayPal'), 0)
			AND NOT coalesce(json_extract(data, '$.Payment.Mobile'), 0)
			AND NOT coalesce(json_extract(data, '$.Payment.Express'), 0)
			AND NOT coalesce(json_extract(data, '$.Payment.ExpressLn'), 0)
			THEN NULL ELSE json_patch('{}', json_object(
				'method', NULLIF(json_extract(data, '$.Payment.Method'), ''),
				'reference', NULLIF(json_extract(data, '$.Payment.Reference'), ''),
				'paypal', CASE WHEN json_extract(data, '$.Payment.PayPal') THEN json('true') END,
				'mobile', CASE WHEN json_extract(data, '$.Payment.Mobile') THEN json('true') END,
				'express', CASE WHEN json_extract(data, '$.Payment.Express') THEN json('true') END,
				'express_lane', CASE WHEN json_extract(data, '$.Payment.ExpressLn') THEN json('true') END)) END,
		'platform_status', NULLIF(json_extract(data, '$.PlatformStatus'), ''),
		'delivery_id', NULLIF(json_extract(data, '$.DeliveryID'), ''),
		'source_time', NULLIF(json_extract(data, '$.SourceTime'), '0001-01-01T00:00:00Z'),
		'seen', json(NULLIF(json_extract(data, '$.Seen'), '{}'))))
FROM donations;
DROP TABLE donations;
ALTER TABLE donations_new RENAME TO donations;
CREATE INDEX donations_id ON donations (tenant, id);
CREATE INDEX donations_contact ON donations (tenant, contact_id);

CREATE TABLE adjustments_new (
	tenant      TEXT NOT NULL,
	provider    TEXT NOT NULL,
	key         TEXT NOT NULL,
	donation_id TEXT NOT NULL,
	kind        TEXT NOT NULL,
	amount      TEXT NOT NULL,
	at          TEXT,
	delivery_id TEXT NOT NULL,
	PRIMARY KEY (tenant, provider, key)
);
INSERT INTO adjustments_new (tenant, provider, key, donation_id, kind, amount, at, delivery_id)
SELECT
	tenant,
	provider,
	key,
	donation_id,
	coalesce(json_extract(data, '$.Kind'), ''),
	coalesce(json_extract(data, '$.Amount'), '0'),
	(SELECT utc FROM v009_times WHERE rfc3339 = json_extract(data, '$.At')),
	coalesce(json_extract(data, '$.DeliveryID'), '')
FROM adjustments;
DROP TABLE adjustments;
ALTER TABLE adjustments_new RENAME TO adjustments;
CREATE INDEX adjustments_donation ON adjustments (tenant, provider, donation_id, key);

CREATE TABLE commitments_new (
	tenant          TEXT    NOT NULL,
	provider        TEXT    NOT NULL,
	external_id     TEXT    NOT NULL,
	id              TEXT    NOT NULL,
	contact_id      TEXT    NOT NULL,
	period          TEXT    NOT NULL,
	amount          TEXT    NOT NULL,
	currency        TEXT    NOT NULL,
	status          TEXT    NOT NULL,
	started_at      TEXT,
	cancelled_at    TEXT,
	failed_at       TEXT,
	last_charged_at TEXT,
	completed       INTEGER NOT NULL,
	pledged         INTEGER NOT NULL,
	updated_at      TEXT,
	data            TEXT    NOT NULL,
	PRIMARY KEY (tenant, provider, external_id)
);
INSERT INTO commitments_new (tenant, provider, external_id, id, contact_id, period, amount, currency, status, started_at, cancelled_at, failed_at, last_charged_at, completed, pledged, updated_at, data)
SELECT
	tenant,
	provider,
	external_id,
	id,
	contact_id,
	coalesce(json_extract(data, '$.Period'), ''),
	coalesce(json_extract(data, '$.Amount'), '0'),
	coalesce(json_extract(data, '$.Currency'), ''),
	coalesce(json_extract(data, '$.Status'), ''),
	(SELECT utc FROM v009_times WHERE rfc3339 = json_extract(data, '$.StartedAt')),
	(SELECT utc FROM v009_times WHERE rfc3339 = json_extract(data, '$.CancelledAt')),
	(SELECT utc FROM v009_times WHERE rfc3339 = json_extract(data, '$.FailedAt')),
	(SELECT utc FROM v009_times WHERE rfc3339 = json_extract(data, '$.LastChargedAt')),
	coalesce(json_extract(data, '$.Completed'), 0),
	coalesce(json_extract(data, '$.Pledged'), 0),
	(SELECT utc FROM v009_times WHERE rfc3339 = json_extract(data, '$.UpdatedAt')),
	json_patch('{}', json_object(
		'cancel_reason', NULLIF(json_extract(data, '$.CancelReason'), ''),
		'cancelled_by', NULLIF(json_extract(data, '$.CancelledBy'), ''),
		'fail_reason', NULLIF(json_extract(data, '$.FailReason'), ''),
		'source_time', NULLIF(json_extract(data, '$.SourceTime'), '0001-01-01T00:00:00Z'),
		'seen', json(NULLIF(json_extract(data, '$.Seen'), '{}'))))
FROM commitments;
DROP TABLE commitments;
ALTER TABLE commitments_new RENAME TO commitments;
CREATE INDEX commitments_id ON commitments (tenant, id);
CREATE INDEX commitments_contact ON commitments (tenant, contact_id);

CREATE TABLE activities_new (
	tenant      TEXT NOT NULL,
	provider    TEXT NOT NULL,
	key         TEXT NOT NULL,
	contact_id  TEXT NOT NULL,
	type        TEXT NOT NULL,
	action      TEXT NOT NULL,
	at          TEXT,
	delivery_id TEXT NOT NULL,
	PRIMARY KEY (tenant, provider, key)
);
INSERT INTO activities_new (tenant, provider, key, contact_id, type, action, at, delivery_id)
SELECT
	tenant,
	provider,
	key,
	contact_id,
	coalesce(json_extract(data, '$.Type'), ''),
	coalesce(json_extract(data, '$.Action'), ''),
	(SELECT utc FROM v009_times WHERE rfc3339 = json_extract(data, '$.At')),
	coalesce(json_extract(data, '$.DeliveryID'), '')
FROM activities;
DROP TABLE activities;
ALTER TABLE activities_new RENAME TO activities;
CREATE INDEX activities_contact ON activities (tenant, contact_id, provider, key);

DROP TABLE v009_times;
