-- The change feed names the fields of the records it carries in snake
-- case, as the records' JSON now does (see 009), and leaves out what has
-- no value: the changes written before are rewritten so. Their "fields"
-- name two fields as the records' JSON now does: "fecid" is "fec_id",
-- "refunded" is "refunded_amount". The changes are worked on as jsonb,
-- in a table of their own, and their "data" written back as JSON text,
-- as the store writes it.

CREATE TEMP TABLE v010_changes AS
	SELECT tenant, position, convert_from(data, 'UTF8')::jsonb AS data FROM changes;

UPDATE v010_changes SET data = jsonb_set(data, '{contact}', jsonb_strip_nulls(jsonb_build_object(
	'id', coalesce((data->'contact')->>'ID', ''),
	'tenant', coalesce((data->'contact')->>'Tenant', ''),
	'first_name', NULLIF((data->'contact')->>'FirstName', ''),
	'middle_name', NULLIF((data->'contact')->>'MiddleName', ''),
	'last_name', NULLIF((data->'contact')->>'LastName', ''),
	'suffix', NULLIF((data->'contact')->>'Suffix', ''),
	'email', NULLIF((data->'contact')->>'Email', ''),
	'emails', NULLIF((data->'contact')->'Emails', '[]'),
	'phone', NULLIF((data->'contact')->>'Phone', ''),
	'phones', (SELECT jsonb_agg(jsonb_build_object(
			'number', NULLIF(value->>'Number', ''),
			'raw', NULLIF(value->>'Raw', '')) ORDER BY n)
		FROM jsonb_array_elements(CASE WHEN jsonb_typeof((data->'contact')->'Phones') = 'array' THEN (data->'contact')->'Phones' ELSE '[]' END) WITH ORDINALITY AS e(value, n)),
	'address', CASE WHEN coalesce((data->'contact')->'Address'->>'Line1', '') = ''
		AND coalesce((data->'contact')->'Address'->>'Line2', '') = ''
		AND coalesce((data->'contact')->'Address'->>'City', '') = ''
		AND coalesce((data->'contact')->'Address'->>'State', '') = ''
		AND coalesce((data->'contact')->'Address'->>'PostalCode', '') = ''
		AND coalesce((data->'contact')->'Address'->>'Country', '') = ''
		THEN NULL ELSE jsonb_build_object(
			'line1', NULLIF((data->'contact')->'Address'->>'Line1', ''),
			'line2', NULLIF((data->'contact')->'Address'->>'Line2', ''),
			'city', NULLIF((data->'contact')->'Address'->>'City', ''),
			'state', NULLIF((data->'contact')->'Address'->>'State', ''),
			'postal_code', NULLIF((data->'contact')->'Address'->>'PostalCode', ''),
			'country', NULLIF((data->'contact')->'Address'->>'Country', '')) END,
	'employer', NULLIF((data->'contact')->>'Employer', ''),
	'occupation', NULLIF((data->'contact')->>'Occupation', ''),
	'custom', NULLIF((data->'contact')->'Custom', '{}'),
	'tags', NULLIF((data->'contact')->'Tags', '[]'),
	'sources', (SELECT jsonb_agg(jsonb_build_object(
			'provider', coalesce(value->>'Provider', ''),
			'donor_id', NULLIF(value->>'DonorID', '')) ORDER BY n)
		FROM jsonb_array_elements(CASE WHEN jsonb_typeof((data->'contact')->'Sources') = 'array' THEN (data->'contact')->'Sources' ELSE '[]' END) WITH ORDINALITY AS e(value, n)),
	'seen', NULLIF((data->'contact')->'Seen', '{}'),
	'created_at', NULLIF((data->'contact')->>'CreatedAt', '0001-01-01T00:00:00Z'),
	'updated_at', NULLIF((data->'contact')->>'UpdatedAt', '0001-01-01T00:00:00Z'))))
WHERE jsonb_typeof(data->'contact') = 'object';

UPDATE v010_changes SET data = jsonb_set(data, '{donation}', jsonb_strip_nulls(jsonb_build_object(
	'id', coalesce((data->'donation')->>'ID', ''),
	'tenant', coalesce((data->'donation')->>'Tenant', ''),
	'provider', coalesce((data->'donation')->>'Provider', ''),
	'external_id', coalesce((data->'donation')->>'ExternalID', ''),
	'contact_id', NULLIF((data->'donation')->>'ContactID', ''),
	'order_number', NULLIF((data->'donation')->>'OrderNumber', ''),
	'amount', (data->'donation')->>'Amount',
	'currency', NULLIF((data->'donation')->>'Currency', ''),
	'net', (data->'donation')->>'Net',
	'fees', (data->'donation')->>'Fees',
	'paid_at', NULLIF((data->'donation')->>'PaidAt', '0001-01-01T00:00:00Z'),
	'created_at', NULLIF((data->'donation')->>'CreatedAt', '0001-01-01T00:00:00Z'),
	'recipient_id', NULLIF((data->'donation')->>'RecipientID', ''),
	'recipient_name', NULLIF((data->'donation')->>'RecipientName', ''),
	'fec_id', NULLIF((data->'donation')->>'FECID', ''),
	'form', NULLIF((data->'donation')->>'Form', ''),
	'fund', NULLIF((data->'donation')->>'Fund', ''),
	'origin', NULLIF((data->'donation')->>'Origin', ''),
	'refcodes', NULLIF((data->'donation')->'Refcodes', '{}'),
	'custom', NULLIF((data->'donation')->'Custom', '{}'),
	'recurrence', CASE WHEN coalesce((data->'donation')->'Recurrence'->>'Period', '') = ''
		AND coalesce((data->'donation')->'Recurrence'->>'Duration', '') = ''
		AND coalesce(((data->'donation')->'Recurrence'->>'Sequence')::bigint, 0) = 0
		AND NOT coalesce(((data->'donation')->'Recurrence'->>'Valid')::boolean, false)
		THEN NULL ELSE jsonb_build_object(
			'period', NULLIF((data->'donation')->'Recurrence'->>'Period', ''),
			'duration', NULLIF((data->'donation')->'Recurrence'->>'Duration', ''),
			'sequence', coalesce(((data->'donation')->'Recurrence'->>'Sequence')::bigint, 0),
			'valid', CASE WHEN ((data->'donation')->'Recurrence'->>'Valid')::boolean THEN true END) END,
	'commitment_id', NULLIF((data->'donation')->>'CommitmentID', ''),
	'payment', CASE WHEN coalesce((data->'donation')->'Payment'->>'Method', '') = ''
		AND coalesce((data->'donation')->'Payment'->>'Reference', '') = ''
		AND NOT coalesce(((data->'donation')->'Payment'->>'PayPal')::boolean, false)
		AND NOT coalesce(((data->'donation')->'Payment'->>'Mobile')::boolean, false)
		AND NOT coalesce(((data->'donation')->'Payment'->>'Express')::boolean, false)
		AND NOT coalesce(((data->'donation')->'Payment'->>'ExpressLn')::boolean, false)
		THEN NULL ELSE jsonb_build_object(
			'method', NULLIF((data->'donation')->'Payment'->>'Method', ''),
			'reference', NULLIF((data->'donation')->'Payment'->>'Reference', ''),
			'paypal', CASE WHEN ((data->'donation')->'Payment'->>'PayPal')::boolean THEN true END,
			'mobile', CASE WHEN ((data->'donation')->'Payment'->>'Mobile')::boolean THEN true END,
			'express', CASE WHEN ((data->'donation')->'Payment'->>'Express')::boolean THEN true END,
			'express_lane', CASE WHEN ((data->'donation')->'Payment'->>'ExpressLn')::boolean THEN true END) END,
	'platform_status', NULLIF((data->'donation')->>'PlatformStatus', ''),
	'status', coalesce((data->'donation')->>'Status', ''),
	'refunded_amount', CASE WHEN ((data->'donation')->>'Refunded')::numeric <> 0 THEN (data->'donation')->>'Refunded' END,
	'settled_at', NULLIF((data->'donation')->>'SettledAt', '0001-01-01T00:00:00Z'),
	'delivery_id', NULLIF((data->'donation')->>'DeliveryID', ''),
	'source_time', NULLIF((data->'donation')->>'SourceTime', '0001-01-01T00:00:00Z'),
	'updated_at', NULLIF((data->'donation')->>'UpdatedAt', '0001-01-01T00:00:00Z'),
	'seen', NULLIF((data->'donation')->'Seen', '{}'))))
WHERE jsonb_typeof(data->'donation') = 'object';

UPDATE v010_changes SET data = jsonb_set(data, '{commitment}', jsonb_strip_nulls(jsonb_build_object(
	'id', coalesce((data->'commitment')->>'ID', ''),
	'tenant', coalesce((data->'commitment')->>'Tenant', ''),
	'provider', coalesce((data->'commitment')->>'Provider', ''),
	'external_id', coalesce((data->'commitment')->>'ExternalID', ''),
	'contact_id', NULLIF((data->'commitment')->>'ContactID', ''),
	'period', NULLIF((data->'commitment')->>'Period', ''),
	'amount', (data->'commitment')->>'Amount',
	'currency', NULLIF((data->'commitment')->>'Currency', ''),
	'started_at', NULLIF((data->'commitment')->>'StartedAt', '0001-01-01T00:00:00Z'),
	'cancelled_at', NULLIF((data->'commitment')->>'CancelledAt', '0001-01-01T00:00:00Z'),
	'failed_at', NULLIF((data->'commitment')->>'FailedAt', '0001-01-01T00:00:00Z'),
	'last_charged_at', NULLIF((data->'commitment')->>'LastChargedAt', '0001-01-01T00:00:00Z'),
	'completed', NULLIF(((data->'commitment')->>'Completed')::bigint, 0),
	'pledged', NULLIF(((data->'commitment')->>'Pledged')::bigint, 0),
	'cancel_reason', NULLIF((data->'commitment')->>'CancelReason', ''),
	'cancelled_by', NULLIF((data->'commitment')->>'CancelledBy', ''),
	'fail_reason', NULLIF((data->'commitment')->>'FailReason', ''),
	'status', coalesce((data->'commitment')->>'Status', ''),
	'source_time', NULLIF((data->'commitment')->>'SourceTime', '0001-01-01T00:00:00Z'),
	'updated_at', NULLIF((data->'commitment')->>'UpdatedAt', '0001-01-01T00:00:00Z'),
	'seen', NULLIF((data->'commitment')->'Seen', '{}'))))
WHERE jsonb_typeof(data->'commitment') = 'object';

UPDATE v010_changes SET data = jsonb_set(data, '{activity}', jsonb_strip_nulls(jsonb_build_object(
	'tenant', coalesce((data->'activity')->>'Tenant', ''),
	'provider', coalesce((data->'activity')->>'Provider', ''),
	'key', coalesce((data->'activity')->>'Key', ''),
	'contact_id', NULLIF((data->'activity')->>'ContactID', ''),
	'type', NULLIF((data->'activity')->>'Type', ''),
	'action', NULLIF((data->'activity')->>'Action', ''),
	'at', NULLIF((data->'activity')->>'At', '0001-01-01T00:00:00Z'),
	'delivery_id', NULLIF((data->'activity')->>'DeliveryID', ''))))
WHERE jsonb_typeof(data->'activity') = 'object';

UPDATE v010_changes SET data = jsonb_set(data, '{adjustments}', (SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
		'tenant', coalesce(value->>'Tenant', ''),
		'provider', coalesce(value->>'Provider', ''),
		'key', coalesce(value->>'Key', ''),
		'donation_id', coalesce(value->>'DonationID', ''),
		'kind', coalesce(value->>'Kind', ''),
		'amount', CASE WHEN (value->>'Amount')::numeric <> 0 THEN value->>'Amount' END,
		'at', NULLIF(value->>'At', '0001-01-01T00:00:00Z'),
		'delivery_id', NULLIF(value->>'DeliveryID', ''))) ORDER BY n)
	FROM jsonb_array_elements(data->'adjustments') WITH ORDINALITY AS e(value, n)))
WHERE jsonb_typeof(data->'adjustments') = 'array';

UPDATE v010_changes SET data = jsonb_set(data, '{fields}', (SELECT jsonb_agg(
		CASE f WHEN 'fecid' THEN 'fec_id' WHEN 'refunded' THEN 'refunded_amount' ELSE f END ORDER BY n)
	FROM jsonb_array_elements_text(data->'fields') WITH ORDINALITY AS e(f, n)))
WHERE jsonb_typeof(data->'fields') = 'array' AND jsonb_array_length(data->'fields') > 0;

UPDATE changes c SET data = convert_to(v.data::text, 'UTF8')
FROM v010_changes v WHERE c.tenant = v.tenant AND c.position = v.position;
DROP TABLE v010_changes;
