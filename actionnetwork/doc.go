// Package actionnetwork receives Action Network webhooks: donations and
// every action type (signatures, form submissions, attendances, outreaches,
// uploads, actions, and types yet to come).
//
// # Set-up
//
// Action Network signs nothing, so the webhook URL is the credential: a
// capability URL with a random token of at least 128 bits per tenant.
//
// Make a token and keep it in your secrets store:
//
//	token, err := actionnetwork.GenerateToken() // 256 bits, 43 URL-safe characters
//
// Mount a Source in a donorsync.Handler:
//
//	auth, err := actionnetwork.NewAuthenticator(actionnetwork.Credential{Tenant: "acme", Token: token})
//	...
//	src, err := actionnetwork.NewSource(auth, actionnetwork.Options{})
//	...
//	mux.Handle("POST /webhooks/actionnetwork/{tenant}/{token}", &donorsync.Handler{
//		Source:   src,
//		Ingester: ingester,
//	})
//
// In Action Network: Start Organizing → API & Sync → Webhooks → New
// Webhook. URL https://your.host/webhooks/actionnetwork/acme/<token>.
// Trigger: "All actions plus uploads" to receive donations, every action
// and uploads (or "All actions" without uploads). Save, then turn the
// webhook on.
//
// # Credentials
//
// The [Authenticator] compares the URL token as a SHA-256 digest in
// constant time; several tokens may be live per tenant ([Authenticator.Add],
// [Authenticator.Expire] for rotation). [Credential].Username and Password
// additionally require Basic Auth, for URLs written as
// https://user:pass@host/.... Every failure gets the same 401. The token is
// never logged by donorsync: keep it out of your proxy's access logs too.
// [NewRequest] builds a delivery as Action Network sends it, for tests and
// to try an endpoint.
//
// Action Network drops a delivery that is not acknowledged within 500 ms.
// The handler answers before donorsync.Handler.Deadline (default 400 ms):
// 200 once the delivery is journaled, or 503 with Retry-After when the
// store cannot journal in time (Action Network retries three times over an
// hour).
//
// # Deliveries
//
// A delivery is an array of typed hashes in OSDI format (HAL+JSON): each
// element holds one type key (osdi:donation, osdi:signature,
// osdi:submission, osdi:attendance, osdi:outreach, action_network:upload,
// action_network:action, and future ones) with its resource, plus
// action_network:sponsor and, on newer deliveries, idempotency_key. Amounts
// are strings ("100.00"), times are UTC, and only the fields entered during
// the action are sent.
//
// Every element upserts its person (names, emails, phones, the primary
// postal address with a full state name turned into its code and a
// malformed postal code kept as received, custom fields, languages, the
// tags added) and records an activity on the contact (type, link to the
// action, time), idempotently. An osdi:donation becomes a donation (amount
// and currency as sent, recipients, payment method and reference,
// recurrence, referrer data as refcodes, fundraising page). A donation that
// names its donor only by action_network:person_id is attached to a contact
// keyed by that id, and merged with the full contact when a delivery brings
// the person's email. Deliveries are unordered: the person's modified_date
// decides which values win. The idempotency key is idempotency_key, or, on
// older deliveries, the resource identifier and modified_date. Links in
// payloads (_links) are kept and never fetched. An unknown future type is
// acknowledged, kept, and applied as far as its person goes.
package actionnetwork
