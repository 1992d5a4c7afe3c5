-- The stored form a CRM can query: each record table gets typed
-- columns, named in snake case, for what people query (docs/schema.md),
-- and keeps the rest of a record in "data" as JSON with snake-case
-- keys, leaving out what has no value. Adjustments and activities have
-- a column for every field, and no "data". Until now "data" held the
-- whole record, its keys the Go field names.
--
-- Amounts are NUMERIC, exact; times timestamptz, NULL for none (Go's
-- zero time). The tables are built anew and the rows copied, so that
-- the columns are in their order and no dead row is left behind.

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
	created_at    TIMESTAMPTZ,
	updated_at    TIMESTAMPTZ,
	data          JSONB NOT NULL,
	PRIMARY KEY (tenant, id)
);
INSERT INTO contacts_new (tenant, id, first_name, middle_name, last_name, suffix, email, phone, address_line1, address_line2, city, state, postal_code, country, employer, occupation, created_at, updated_at, data)
SELECT
	tenant,
	id,
	coalesce(data->>'FirstName', ''),
	coalesce(data->>'MiddleName', ''),
	coalesce(data->>'LastName', ''),
	coalesce(data->>'Suffix', ''),
	coalesce(data->>'Email', ''),
	coalesce(data->>'Phone', ''),
	coalesce(data->'Address'->>'Line1', ''),
	coalesce(data->'Address'->>'Line2', ''),
	coalesce(data->'Address'->>'City', ''),
	coalesce(data->'Address'->>'State', ''),
	coalesce(data->'Address'->>'PostalCode', ''),
	coalesce(data->'Address'->>'Country', ''),
	coalesce(data->>'Employer', ''),
	coalesce(data->>'Occupation', ''),
	NULLIF(data->>'CreatedAt', '0001-01-01T00:00:00Z')::timestamptz,
	NULLIF(data->>'UpdatedAt', '0001-01-01T00:00:00Z')::timestamptz,
	jsonb_strip_nulls(jsonb_build_object(
		'emails', NULLIF(data->'Emails', '[]'),
		'phones', (SELECT jsonb_agg(jsonb_build_object(
				'number', NULLIF(value->>'Number', ''),
				'raw', NULLIF(value->>'Raw', '')) ORDER BY n)
			FROM jsonb_array_elements(CASE WHEN jsonb_typeof(data->'Phones') = 'array' THEN data->'Phones' ELSE '[]' END) WITH ORDINALITY AS e(value, n)),
		'custom', NULLIF(data->'Custom', '{}'),
		'tags', NULLIF(data->'Tags', '[]'),
		'sources', (SELECT jsonb_agg(jsonb_build_object(
				'provider', coalesce(value->>'Provider', ''),
				'donor_id', NULLIF(value->>'DonorID', '')) ORDER BY n)
			FROM jsonb_array_elements(CASE WHEN jsonb_typeof(data->'Sources') = 'array' THEN data->'Sources' ELSE '[]' END) WITH ORDINALITY AS e(value, n)),
		'seen', NULLIF(data->'Seen', '{}')))
FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_new RENAME TO contacts;
ALTER INDEX contacts_new_pkey RENAME TO contacts_pkey;

CREATE TABLE donations_new (
	tenant          TEXT    NOT NULL,
	provider        TEXT    NOT NULL,
	external_id     TEXT    NOT NULL,
	id              TEXT    NOT NULL,
	contact_id      TEXT    NOT NULL,
	order_number    TEXT    NOT NULL,
	amount          NUMERIC NOT NULL,
	currency        TEXT    NOT NULL,
	net             NUMERIC,
	fees            NUMERIC,
	status          TEXT    NOT NULL,
	refunded_amount NUMERIC NOT NULL,
	paid_at         TIMESTAMPTZ,
	created_at      TIMESTAMPTZ,
	settled_at      TIMESTAMPTZ,
	recipient_id    TEXT    NOT NULL,
	form            TEXT    NOT NULL,
	fund            TEXT    NOT NULL,
	commitment_id   TEXT    NOT NULL,
	updated_at      TIMESTAMPTZ,
	data            JSONB   NOT NULL,
	PRIMARY KEY (tenant, provider, external_id)
);
INSERT INTO donations_new (tenant, provider, external_id, id, contact_id, order_number, amount, currency, net, fees, status, refunded_amount, paid_at, created_at, settled_at, recipient_id, form, fund, commitment_id, updated_at, data)
SELECT
	tenant,
	provider,
	external_id,
	id,
	contact_id,
	coalesce(data->>'OrderNumber', ''),
	coalesce(data->>'Amount', '0')::numeric,
	coalesce(data->>'Currency', ''),
	(data->>'Net')::numeric,
	(data->>'Fees')::numeric,
	coalesce(data->>'Status', ''),
	coalesce(data->>'Refunded', '0')::numeric,
	NULLIF(data->>'PaidAt', '0001-01-01T00:00:00Z')::timestamptz,
	NULLIF(data->>'CreatedAt', '0001-01-01T00:00:00Z')::timestamptz,
	NULLIF(data->>'SettledAt', '0001-01-01T00:00:00Z')::timestamptz,
	coalesce(data->>'RecipientID', ''),
	coalesce(data->>'Form', ''),
	coalesce(data->>'Fund', ''),
	coalesce(data->>'CommitmentID', ''),
	NULLIF(data->>'UpdatedAt', '0001-01-01T00:00:00Z')::timestamptz,
	jsonb_strip_nulls(jsonb_build_object(
		'recipient_name', NULLIF(data->>'RecipientName', ''),
		'fec_id', NULLIF(data->>'FECID', ''),
		'origin', NULLIF(data->>'Origin', ''),
		'refcodes', NULLIF(data->'Refcodes', '{}'),
		'custom', NULLIF(data->'Custom', '{}'),
		'recurrence', CASE WHEN coalesce(data->'Recurrence'->>'Period', '') = ''
			AND coalesce(data->'Recurrence'->>'Duration', '') = ''
			AND coalesce((data->'Recurrence'->>'Sequence')::bigint, 0) = 0
			AND NOT coalesce((data->'Recurrence'->>'Valid')::boolean, false)
			THEN NULL ELSE jsonb_build_object(
				'period', NULLIF(data->'Recurrence'->>'Period', ''),
				'duration', NULLIF(data->'Recurrence'->>'Duration', ''),
				'sequence', coalesce((data->'Recurrence'->>'Sequence')::bigint, 0),
				'valid', CASE WHEN (data->'Recurrence'->>'Valid')::boolean THEN true END) END,
		'payment', CASE WHEN coalesce(data->'Payment'->>'Method', '') = ''
			AND coalesce(data->'Payment'->>'Reference', '') = ''
			AND NOT coalesce((data->'Payment'->>'PayPal')::boolean, false)
			AND NOT coalesce((data->'Payment'->>'Mobile')::boolean, false)
			AND NOT coalesce((data->'Payment'->>'Express')::boolean, false)
			AND NOT coalesce((data->'Payment'->>'ExpressLn')::boolean, false)
			THEN NULL ELSE jsonb_build_object(
				'method', NULLIF(data->'Payment'->>'Method', ''),
				'reference', NULLIF(data->'Payment'->>'Reference', ''),
				'paypal', CASE WHEN (data->'Payment'->>'PayPal')::boolean THEN true END,
				'mobile', CASE WHEN (data->'Payment'->>'Mobile')::boolean THEN true END,
				'express', CASE WHEN (data->'Payment'->>'Express')::boolean THEN true END,
				'express_lane', CASE WHEN (data->'Payment'->>'ExpressLn')::boolean THEN true END) END,
		'platform_status', NULLIF(data->>'PlatformStatus', ''),
		'delivery_id', NULLIF(data->>'DeliveryID', ''),
		'source_time', NULLIF(data->>'SourceTime', '0001-01-01T00:00:00Z'),
		'seen', NULLIF(data->'Seen', '{}')))
FROM donations;
DROP TABLE donations;
ALTER TABLE donations_new RENAME TO donations;
ALTER INDEX donations_new_pkey RENAME TO donations_pkey;
CREATE INDEX donations_id ON donations (tenant, id);
CREATE INDEX donations_contact ON donations (tenant, contact_id);

CREATE TABLE adjustments_new (
	tenant      TEXT    NOT NULL,
	provider    TEXT    NOT NULL,
	key         TEXT    NOT NULL,
	donation_id TEXT    NOT NULL,
	kind        TEXT    NOT NULL,
	amount      NUMERIC NOT NULL,
	at          TIMESTAMPTZ,
	delivery_id TEXT    NOT NULL,
	PRIMARY KEY (tenant, provider, key)
);
INSERT INTO adjustments_new (tenant, provider, key, donation_id, kind, amount, at, delivery_id)
SELECT
	tenant,
	provider,
	key,
	donation_id,
	coalesce(data->>'Kind', ''),
	coalesce(data->>'Amount', '0')::numeric,
	NULLIF(data->>'At', '0001-01-01T00:00:00Z')::timestamptz,
	coalesce(data->>'DeliveryID', '')
FROM adjustments;
DROP TABLE adjustments;
ALTER TABLE adjustments_new RENAME TO adjustments;
ALTER INDEX adjustments_new_pkey RENAME TO adjustments_pkey;
CREATE INDEX adjustments_donation ON adjustments (tenant, provider, donation_id, key);

CREATE TABLE commitments_new (
	tenant          TEXT    NOT NULL,
	provider        TEXT    NOT NULL,
	external_id     TEXT    NOT NULL,
	id              TEXT    NOT NULL,
	contact_id      TEXT    NOT NULL,
	period          TEXT    NOT NULL,
	amount          NUMERIC NOT NULL,
	currency        TEXT    NOT NULL,
	status          TEXT    NOT NULL,
	started_at      TIMESTAMPTZ,
	cancelled_at    TIMESTAMPTZ,
	failed_at       TIMESTAMPTZ,
	last_charged_at TIMESTAMPTZ,
	completed       BIGINT  NOT NULL,
	pledged         BIGINT  NOT NULL,
	updated_at      TIMESTAMPTZ,
	data            JSONB   NOT NULL,
	PRIMARY KEY (tenant, provider, external_id)
);
INSERT INTO commitments_new (tenant, provider, external_id, id, contact_id, period, amount, currency, status, started_at, cancelled_at, failed_at, last_charged_at, completed, pledged, updated_at, data)
SELECT
	tenant,
	provider,
	external_id,
	id,
	contact_id,
	coalesce(data->>'Period', ''),
	coalesce(data->>'Amount', '0')::numeric,
	coalesce(data->>'Currency', ''),
	coalesce(data->>'Status', ''),
	NULLIF(data->>'StartedAt', '0001-01-01T00:00:00Z')::timestamptz,
	NULLIF(data->>'CancelledAt', '0001-01-01T00:00:00Z')::timestamptz,
	NULLIF(data->>'FailedAt', '0001-01-01T00:00:00Z')::timestamptz,
	NULLIF(data->>'LastChargedAt', '0001-01-01T00:00:00Z')::timestamptz,
	coalesce((data->>'Completed')::bigint, 0),
	coalesce((data->>'Pledged')::bigint, 0),
	NULLIF(data->>'UpdatedAt', '0001-01-01T00:00:00Z')::timestamptz,
	jsonb_strip_nulls(jsonb_build_object(
		'cancel_reason', NULLIF(data->>'CancelReason', ''),
		'cancelled_by', NULLIF(data->>'CancelledBy', ''),
		'fail_reason', NULLIF(data->>'FailReason', ''),
		'source_time', NULLIF(data->>'SourceTime', '0001-01-01T00:00:00Z'),
		'seen', NULLIF(data->'Seen', '{}')))
FROM commitments;
DROP TABLE commitments;
ALTER TABLE commitments_new RENAME TO commitments;
ALTER INDEX commitments_new_pkey RENAME TO commitments_pkey;
CREATE INDEX commitments_id ON commitments (tenant, id);
CREATE INDEX commitments_contact ON commitments (tenant, contact_id);

CREATE TABLE activities_new (
	tenant      TEXT NOT NULL,
	provider    TEXT NOT NULL,
	key         TEXT NOT NULL,
	contact_id  TEXT NOT NULL,
	type        TEXT NOT NULL,
	action      TEXT NOT NULL,
	at          TIMESTAMPTZ,
	delivery_id TEXT NOT NULL,
	PRIMARY KEY (tenant, provider, key)
);
INSERT INTO activities_new (tenant, provider, key, contact_id, type, action, at, delivery_id)
SELECT
	tenant,
	provider,
	key,
	contact_id,
	coalesce(data->>'Type', ''),
	coalesce(data->>'Action', ''),
	NULLIF(data->>'At', '0001-01-01T00:00:00Z')::timestamptz,
	coalesce(data->>'DeliveryID', '')
FROM activities;
DROP TABLE activities;
ALTER TABLE activities_new RENAME TO activities;
ALTER INDEX activities_new_pkey RENAME TO activities_pkey;
CREATE INDEX activities_contact ON activities (tenant, contact_id, provider, key);
