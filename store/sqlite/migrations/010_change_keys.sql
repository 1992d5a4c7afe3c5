-- The change feed names the fields of the records it carries in snake
-- case, as the records' JSON now does (see 009), and leaves out what has
-- no value: the changes written before are rewritten so, in one pass
-- (each record's object replaced, json_patch leaving out what is NULL).
-- Their "fields" name two fields as the records' JSON now does: "fecid"
-- is "fec_id", "refunded" is "refunded_amount". "data" is read as text,
-- and kept as a blob, as the store writes it.

UPDATE changes SET data = CAST(data AS TEXT);

UPDATE changes SET data = CAST(json_patch(
	json_remove(data, '$.contact', '$.donation', '$.commitment', '$.activity', '$.adjustments', '$.fields'),
	json_object(
		'contact', CASE WHEN json_type(data, '$.contact') = 'object' THEN json_patch('{}', json_object(
			'id', coalesce(json_extract(data, '$.contact.ID'), ''),
			'tenant', coalesce(json_extract(data, '$.contact.Tenant'), ''),
			'first_name', NULLIF(json_extract(data, '$.contact.FirstName'), ''),
			'middle_name', NULLIF(json_extract(data, '$.contact.MiddleName'), ''),
			'last_name', NULLIF(json_extract(data, '$.contact.LastName'), ''),
			'suffix', NULLIF(json_extract(data, '$.contact.Suffix'), ''),
			'email', NULLIF(json_extract(data, '$.contact.Email'), ''),
			'emails', json(NULLIF(json_extract(data, '$.contact.Emails'), '[]')),
			'phone', NULLIF(json_extract(data, '$.contact.Phone'), ''),
			'phones', json(NULLIF((SELECT json_group_array(json_patch('{}', json_object(
					'number', NULLIF(json_extract(value, '$.Number'), ''),
					'raw', NULLIF(json_extract(value, '$.Raw'), ''))))
				FROM json_each(data, '$.contact.Phones') WHERE type = 'object'), '[]')),
			'address', CASE WHEN coalesce(json_extract(data, '$.contact.Address.Line1'), '') = ''
				AND coalesce(json_extract(data, '$.contact.Address.Line2'), '') = ''
				AND coalesce(json_extract(data, '$.contact.Address.City'), '') = ''
				AND coalesce(json_extract(data, '$.contact.Address.State'), '') = ''
				AND coalesce(json_extract(data, '$.contact.Address.PostalCode'), '') = ''
				AND coalesce(json_extract(data, '$.contact.Address.Country'), '') = ''
				THEN NULL ELSE json_patch('{}', json_object(
					'line1', NULLIF(json_extract(data, '$.contact.Address.Line1'), ''),
					'line2', NULLIF(json_extract(data, '$.contact.Address.Line2'), ''),
					'city', NULLIF(json_extract(data, '$.contact.Address.City'), ''),
					'state', NULLIF(json_extract(data, '$.contact.Address.State'), ''),
					'postal_code', NULLIF(json_extract(data, '$.contact.Address.PostalCode'), ''),
					'country', NULLIF(json_extract(data, '$.contact.Address.Country'), ''))) END,
			'employer', NULLIF(json_extract(data, '$.contact.Employer'), ''),
			'occupation', NULLIF(json_extract(data, '$.contact.Occupation'), ''),
			'custom', json(NULLIF(json_extract(data, '$.contact.Custom'), '{}')),
			'tags', json(NULLIF(json_extract(data, '$.contact.Tags'), '[]')),
			'sources', json(NULLIF((SELECT json_group_array(json_patch('{}', json_object(
					'provider', coalesce(json_extract(value, '$.Provider'), ''),
					'donor_id', NULLIF(json_extract(value, '$.DonorID'), ''))))
				FROM json_each(data, '$.contact.Sources') WHERE type = 'object'), '[]')),
			'seen', json(NULLIF(json_extract(data, '$.contact.Seen'), '{}')),
			'created_at', NULLIF(json_extract(data, '$.contact.CreatedAt'), '0001-01-01T00:00:00Z'),
			'updated_at', NULLIF(json_extract(data, '$.contact.UpdatedAt'), '0001-01-01T00:00:00Z'))) END,
		'donation', CASE WHEN json_type(data, '$.donation') = 'object' THEN json_patch('{}', json_object(
			'id', coalesce(json_extract(data, '$.donation.ID'), ''),
			'tenant', coalesce(json_extract(data, '$.donation.Tenant'), ''),
			'provider', coalesce(json_extract(data, '$.donation.Provider'), ''),
			'external_id', coalesce(json_extract(data, '$.donation.ExternalID'), ''),
			'contact_id', NULLIF(json_extract(data, '$.donation.ContactID'), ''),
			'order_number', NULLIF(json_extract(data, '$.donation.OrderNumber'), ''),
			'amount', json_extract(data, '$.donation.Amount'),
			'currency', NULLIF(json_extract(data, '$.donation.Currency'), ''),
			'net', json_extract(data, '$.donation.Net'),
			'fees', json_extract(data, '$.donation.Fees'),
			'paid_at', NULLIF(json_extract(data, '$.donation.PaidAt'), '0001-01-01T00:00:00Z'),
			'created_at', NULLIF(json_extract(data, '$.donation.CreatedAt'), '0001-01-01T00:00:00Z'),
			'recipient_id', NULLIF(json_extract(data, '$.donation.RecipientID'), ''),
			'recipient_name', NULLIF(json_extract(data, '$.donation.RecipientName'), ''),
			'fec_id', NULLIF(json_extract(data, '$.donation.FECID'), ''),
			'form', NULLIF(json_extract(data, '$.donation.Form'), ''),
			'fund', NULLIF(json_extract(data, '$.donation.Fund'), ''),
			'origin', NULLIF(json_extract(data, '$.donation.Origin'), ''),
			'refcodes', json(NULLIF(json_extract(data, '$.donation.Refcodes'), '{}')),
			'custom', json(NULLIF(json_extract(data, '$.donation.Custom'), '{}')),
			'recurrence', CASE WHEN coalesce(json_extract(data, '$.donation.Recurrence.Period'), '') = ''
				AND coalesce(json_extract(data, '$.donation.Recurrence.Duration'), '') = ''
				AND coalesce(json_extract(data, '$.donation.Recurrence.Sequence'), 0) = 0
				AND NOT coalesce(json_extract(data, '$.donation.Recurrence.Valid'), 0)
				THEN NULL ELSE json_patch('{}', json_object(
					'period', NULLIF(json_extract(data, '$.donation.Recurrence.Period'), ''),
					'duration', NULLIF(json_extract(data, '$.donation.Recurrence.Duration'), ''),
					'sequence', coalesce(json_extract(data, '$.donation.Recurrence.Sequence'), 0),
					'valid', CASE WHEN json_extract(data, '$.donation.Recurrence.Valid') THEN json('true') END)) END,
			'commitment_id', NULLIF(json_extract(data, '$.donation.CommitmentID'), ''),
			'payment', CASE WHEN coalesce(json_extract(data, '$.donation.Payment.Method'), '') = ''
				AND coalesce(json_extract(data, '$.donation.Payment.Reference'), '') = ''
				AND NOT coalesce(json_extract(data, '$.donation.Payment.PayPal'), 0)
				AND NOT coalesce(json_extract(data, '$.donation.Payment.Mobile'), 0)
				AND NOT coalesce(json_extract(data, '$.donation.Payment.Express'), 0)
				AND NOT coalesce(json_extract(data, '$.donation.Payment.ExpressLn'), 0)
				THEN NULL ELSE json_patch('{}', json_object(
					'method', NULLIF(json_extract(data, '$.donation.Payment.Method'), ''),
					'reference', NULLIF(json_extract(data, '$.donation.Payment.Reference'), ''),
					'paypal', CASE WHEN json_extract(data, '$.donation.Payment.PayPal') THEN json('true') END,
					'mobile', CASE WHEN json_extract(data, '$.donation.Payment.Mobile') THEN json('true') END,
					'express', CASE WHEN json_extract(data, '$.donation.Payment.Express') THEN json('true') END,
					'express_lane', CASE WHEN json_extract(data, '$.donation.Payment.ExpressLn') THEN json('true') END)) END,
			'platform_status', NULLIF(json_extract(data, '$.donation.PlatformStatus'), ''),
			'status', coalesce(json_extract(data, '$.donation.Status'), ''),
			'refunded_amount', CASE WHEN CAST(json_extract(data, '$.donation.Refunded') AS REAL) <> 0 THEN json_extract(data, '$.donation.Refunded') END,
			'settled_at', NULLIF(json_extract(data, '$.donation.SettledAt'), '0001-01-01T00:00:00Z'),
			'delivery_id', NULLIF(json_extract(data, '$.donation.DeliveryID'), ''),
			'source_time', NULLIF(json_extract(data, '$.donation.SourceTime'), '0001-01-01T00:00:00Z'),
			'updated_at', NULLIF(json_extract(data, '$.donation.UpdatedAt'), '0001-01-01T00:00:00Z'),
			'seen', json(NULLIF(json_extract(data, '$.donation.Seen'), '{}')))) END,
		'commitment', CASE WHEN json_type(data, '$.commitment') = 'object' THEN json_patch('{}', json_object(
			'id', coalesce(json_extract(data, '$.commitment.ID'), ''),
			'tenant', coalesce(json_extract(data, '$.commitment.Tenant'), ''),
			'provider', coalesce(json_extract(data, '$.commitment.Provider'), ''),
			'external_id', coalesce(json_extract(data, '$.commitment.ExternalID'), ''),
			'contact_id', NULLIF(json_extract(data, '$.commitment.ContactID'), ''),
			'period', NULLIF(json_extract(data, '$.commitment.Period'), ''),
			'amount', json_extract(data, '$.commitment.Amount'),
			'currency', NULLIF(json_extract(data, '$.commitment.Currency'), ''),
			'started_at', NULLIF(json_extract(data, '$.commitment.StartedAt'), '0001-01-01T00:00:00Z'),
			'cancelled_at', NULLIF(json_extract(data, '$.commitment.CancelledAt'), '0001-01-01T00:00:00Z'),
			'failed_at', NULLIF(json_extract(data, '$.commitment.FailedAt'), '0001-01-01T00:00:00Z'),
			'last_charged_at', NULLIF(json_extract(data, '$.commitment.LastChargedAt'), '0001-01-01T00:00:00Z'),
			'completed', NULLIF(json_extract(data, '$.commitment.Completed'), 0),
			'pledged', NULLIF(json_extract(data, '$.commitment.Pledged'), 0),
			'cancel_reason', NULLIF(json_extract(data, '$.commitment.CancelReason'), ''),
			'cancelled_by', NULLIF(json_extract(data, '$.commitment.CancelledBy'), ''),
			'fail_reason', NULLIF(json_extract(data, '$.commitment.FailReason'), ''),
			'status', coalesce(json_extract(data, '$.commitment.Status'), ''),
			'source_time', NULLIF(json_extract(data, '$.commitment.SourceTime'), '0001-01-01T00:00:00Z'),
			'updated_at', NULLIF(json_extract(data, '$.commitment.UpdatedAt'), '0001-01-01T00:00:00Z'),
			'seen', json(NULLIF(json_extract(data, '$.commitment.Seen'), '{}')))) END,
		'activity', CASE WHEN json_type(data, '$.activity') = 'object' THEN json_patch('{}', json_object(
			'tenant', coalesce(json_extract(data, '$.activity.Tenant'), ''),
			'provider', coalesce(json_extract(data, '$.activity.Provider'), ''),
			'key', coalesce(json_extract(data, '$.activity.Key'), ''),
			'contact_id', NULLIF(json_extract(data, '$.activity.ContactID'), ''),
			'type', NULLIF(json_extract(data, '$.activity.Type'), ''),
			'action', NULLIF(json_extract(data, '$.activity.Action'), ''),
			'at', NULLIF(json_extract(data, '$.activity.At'), '0001-01-01T00:00:00Z'),
			'delivery_id', NULLIF(json_extract(data, '$.activity.DeliveryID'), ''))) END,
		'adjustments', CASE WHEN json_type(data, '$.adjustments') = 'array' THEN (SELECT json_group_array(json_patch('{}', json_object(
				'tenant', coalesce(json_extract(value, '$.Tenant'), ''),
				'provider', coalesce(json_extract(value, '$.Provider'), ''),
				'key', coalesce(json_extract(value, '$.Key'), ''),
				'donation_id', coalesce(json_extract(value, '$.DonationID'), ''),
				'kind', coalesce(json_extract(value, '$.Kind'), ''),
				'amount', CASE WHEN CAST(json_extract(value, '$.Amount') AS REAL) <> 0 THEN json_extract(value, '$.Amount') END,
				'at', NULLIF(json_extract(value, '$.At'), '0001-01-01T00:00:00Z'),
				'delivery_id', NULLIF(json_extract(value, '$.DeliveryID'), ''))))
			FROM json_each(changes.data, '$.adjustments')) END,
		'fields', CASE WHEN json_type(data, '$.fields') = 'array' THEN (SELECT json_group_array(
				CASE value WHEN 'fecid' THEN 'fec_id' WHEN 'refunded' THEN 'refunded_amount' ELSE value END)
			FROM json_each(changes.data, '$.fields')) END)) AS BLOB);
