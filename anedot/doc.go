// Package anedot receives Anedot webhooks: submissions, donations and
// their refunds, voids, chargebacks and settlements, and commitments.
//
// # Set-up
//
// Create a webhook in Anedot (Account Settings → Webhooks) with the URL
// https://your.host/webhooks/anedot/acme. Anedot shows the webhook's secret
// token: keep it in your secrets store. Anedot recommends one webhook per
// template type (one for Submissions, one for Donations, one for
// Commitments); each has its own token, and a tenant may have all of them
// live at once.
//
// Subscribe to the events you want: submission_created;
// donation_completed, donation_refunded, donation_partially_refunded,
// donation_voided, donation_chargeback, donation_chargeback_reversed,
// donation_ach_returned, settlement_date; commitment_created,
// commitment_updated, commitment_failed_to_process.
//
// Mount a Source in a donorsync.Handler:
//
//	auth, err := anedot.NewAuthenticator(
//		anedot.Credential{Tenant: "acme", Token: os.Getenv("ANEDOT_DONATIONS_TOKEN")},
//		anedot.Credential{Tenant: "acme", Token: os.Getenv("ANEDOT_SUBMISSIONS_TOKEN")},
//	)
//	...
//	src, err := anedot.NewSource(auth, anedot.Options{})
//	...
//	mux.Handle("POST /webhooks/anedot/{tenant}", &donorsync.Handler{Source: src, Ingester: ingester})
//
// # Credentials
//
// Anedot signs each delivery: X-Request-Signature ([SignatureHeader]) is
// the hex HMAC-SHA256 of the raw body with the webhook's secret token. The
// [Authenticator] verifies the raw bytes received, never re-serialised
// JSON, against every live token of the tenant (a "sha256=" prefix is
// accepted), hashing them as they are read, in one pass, and comparing in
// constant time at the end of the body; every failure gets the same 401. Rotate with
// [Authenticator.Add] and auth.Expire(tenant, oldToken, when). [Sign] and
// [NewRequest] sign test deliveries.
//
// # Deliveries
//
// A delivery is {"event": ..., "payload": {...}}, the payload being one of
// three templates: Submission, Donation or Commitment. Money is a string
// ("25.00", "-23.70", "$33.10"), booleans are strings ("true", "false",
// ""), absent values are "", and dates look like 2020-12-11 22:06:26 UTC.
//
// A submission upserts the contact (custom field answers become contact
// custom fields) and records each of its donations[] with fund, gross, net
// and fees; donation_completed records the donation with amount, net, fees,
// origin and its commitment; refunds, partial refunds (they accumulate),
// voids, chargebacks, reversals, ACH returns and settlements are adjustments
// that derive the donation's status; commitment events create, update, fail
// (payment_status_message) or cancel (cancellation_reason, whodunnit) the
// commitment. A submission and its donation, which Anedot sends separately,
// make one contact and one donation in either order. The idempotency key is
// the event, the object id and its updated_at. An event this package does
// not know is acknowledged and kept, with nothing applied. A body that is
// not JSON (Anedot's own "Commitment Failed to Process" example has stray
// characters after a value) is kept, quarantined with the byte offset of
// the error, and answered 200.
//
// # Customised templates
//
// An account can rename the attributes of its templates. [Options].Rename
// reads them ({"donor_email": "email"}), and Options.Adjust changes the
// events made from each payload, with the raw payload at hand for
// attributes of your own (see the example of Options).
package anedot
