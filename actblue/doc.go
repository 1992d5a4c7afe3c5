// Package actblue receives ActBlue webhooks: contributions, refunds and
// cancellations.
//
// # Set-up
//
// Generate a credential per tenant and keep it in your secrets store:
//
//	cred, err := actblue.GenerateCredential("acme", "Acme for America")
//	// cred.Username "acme-for-america-482913", cred.Password: 24 random letters and digits (~143 bits)
//
// In ActBlue: Integrations → Webhooks → Create a new webhook. Choose
// "ActBlue Default"; endpoint https://your.host/webhooks/actblue/acme; the
// username and password above. Repeat with "ActBlue Default Refunds" and
// "ActBlue Default Cancellations" on the same URL: the kind of each delivery
// is read from its payload (lineitems[].refundedAt, contribution.cancelledAt).
// If you mount one URL per type instead, set [Options].Kind on the Source of
// that URL, such as Options{Kind: KindRefund}.
//
// Mount a Source in a donorsync.Handler:
//
//	auth, err := actblue.NewAuthenticator(cred)
//	...
//	src, err := actblue.NewSource(auth, actblue.Options{})
//	...
//	mux.Handle("POST /webhooks/actblue/{tenant}", &donorsync.Handler{
//		Source:   src,
//		Ingester: &donorsync.Ingester{Store: store},
//	})
//
// # Credentials
//
// ActBlue authenticates deliveries with HTTP Basic Auth. An [Authenticator]
// checks them in constant time, with several live credentials per tenant
// for rotation: [Authenticator.Add] makes a new credential work at once;
// give ActBlue the new password, then
// auth.Expire(tenant, oldUsername, time.Now().Add(24*time.Hour)) so that the
// old one works until then. [NewRequest] builds a delivery as ActBlue sends
// it, for tests and to try an endpoint.
//
// # Deliveries
//
// A delivery is one JSON object: the donor, the contribution (the checkout)
// and its line items, one notification per line item. A refund delivery is
// the same payload with lineitems[].refundedAt; a cancellation delivery adds
// contribution.cancelledAt and the recurrence counts. Amounts arrive as
// strings or numbers, times with a US Eastern offset or none (zone-less
// times are read as US Eastern), and fields ActBlue adds later are ignored by
// [Parse] and kept with the raw delivery in the journal.
//
// Each line item becomes one donation keyed by tenant and line item id
// (never the order number alone: two line items of one order with the same
// amount and date are two donations), with amount, order number, entity,
// committee, FEC id, refcodes, custom fields, recurrence, payment flags, and
// paid and created times in UTC. The donor becomes or updates a contact with
// source "actblue", employer and occupation. A refund is an adjustment that
// derives the donation's status (refunded, with the amount), never a delete;
// a refund that arrives before its donation still ends in the same state. A
// cancellation cancels the commitment keyed by the order number, which every
// recurrence of a recurring gift shares, with completed and pledged counts.
//
// # Reports
//
// ActBlue's CSV reports (package [github.com/donorsync/donorsync/actblue/reports])
// hold what its webhooks may have failed to deliver. [ReportDelivery]
// makes a row of the paid, refunded or cancelled-recurring report a
// delivery of its own (Kind "report:" and the report's type, the row's CSV
// as its body, its own idempotency key) that a Source decodes into the
// records a webhook about the same line item or recurring gift makes: a
// paid row is the donation of its Lineitem ID, with its donor and, for a
// recurring gift, the commitment of its Receipt ID; a refunded row adds
// the refund; a cancelled-recurring row cancels the commitment. A gift
// that arrives by webhook and by report, in either order and any number
// of times, ends as one donation. Package
// [github.com/donorsync/donorsync/actblue/reconcile] compares the reports
// with a store and applies what is missing this way.
package actblue
