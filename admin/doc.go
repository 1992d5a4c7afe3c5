// Package admin serves what an operator needs to see of a donorsync
// receiver: server-rendered pages (html/template, one inline stylesheet,
// no script, no external asset) and a JSON read API, over an Ingester's
// store. Both are one http.Handler that an embedding CRM mounts behind
// its own authentication:
//
//	recent := &admin.Recent{}
//	ingester.Observer = admin.Tee(ingester.Observer, recent) // beside a metrics Observer, if any
//	h := &admin.Handler{Ingester: ingester, Sources: sources, Recent: recent}
//	mux.Handle("/admin/", http.StripPrefix("/admin", requireOperator(h)))
//
// Every link the pages write is relative, so any prefix works; strip it
// without its trailing slash, as above.
//
// # Pages
//
//   - / (at a glance): for each tenant, when the last delivery of each
//     platform was received and how long ago; the deliveries received in
//     the last 24 hours by their status now; the backlog (pending, and
//     failed to be retried) and how long its oldest has waited; a form
//     that replays every dead, quarantined or failed delivery received
//     since a time. With a Recent, the webhook requests of the last 24
//     hours by platform and answer, refusals by cause (401 for a wrong
//     credential, an unknown tenant or malformed credentials; 413; 503),
//     which the store cannot know since a refused request is never
//     journaled, and the deliveries applied by outcome. On top, what
//     needs attention: a watched platform (Watch, ActBlue by default)
//     that sent nothing for 24 hours (Quiet), dead or quarantined
//     deliveries, a backlog waiting over an hour, credentials refused,
//     requests answered 503.
//   - /deliveries: a tenant's deliveries, newest first (?order=oldest
//     for oldest first), filtered by status, platform, kind (- for those
//     without one, report:* for the rows of ActBlue's reports) and time
//     (?since= a time in RFC 3339 or a duration such as 24h or 7d, 24h
//     by default, "all" for no bound), by pages with links to the older,
//     the newer and the first, each with its key, attempts, next attempt
//     and error. The store selects them, however far apart they are in
//     the journal.
//   - /deliveries/{tenant}/{id}: a delivery, what it decodes to with its
//     Source (contact, donation, adjustments, commitment, activities),
//     the records those made in the store, looked up by their natural
//     keys (the donation by platform and external id, its adjustments,
//     the commitment, the contact that owns them), a Replay button, and
//     the raw body on request (?body=1).
//   - /contacts/{tenant}/{id}: a contact's emails and phones, sources,
//     donations with their adjustments, commitments and activities. The
//     store lists donations and commitments by id, not by contact: the
//     page scans the tenant's, at most MaxScan of each, and says so when
//     it stopped there.
//
// # Personal data in bodies
//
// A delivery's body is hidden until asked for, and then shown with the
// values of the fields that hold personal data masked (•••): in JSON,
// every string and number under a key naming an email, phone, name,
// address, street, city, locality, ZIP or postal code, employer,
// occupation, card, comment, date of birth or coordinates, and everything
// under such a key ("postal_addresses", "employerData"); in the CSV of an
// ActBlue report row (Kind "report:..."), the donor's columns but their
// id at ActBlue. A body that is neither cannot be masked and is withheld. It is
// shown unmasked only on a second, explicit request (?body=1&unmask=1),
// which the Logger records with the delivery's id and the remote address.
//
// # Changes and cross-site request forgery
//
// The pages change nothing on GET. Replays are POSTs of forms, and the
// Handler wraps everything in net/http's CrossOriginProtection: a POST
// that the browser marks as cross-site (Sec-Fetch-Site), or whose Origin
// is not the Host, is refused with 403, so that another site cannot make
// an operator's browser replay deliveries. Requests without those
// headers, as API clients and curl send them, pass: authenticate them.
// Embedders get this protection with the Handler; a session cookie of
// their own should still be SameSite=Strict (or Lax) and HttpOnly.
//
// # JSON read API
//
// Under /api/{tenant}/, in JSON, times in RFC 3339 (UTC) and amounts as
// exact strings:
//
//	GET  /api/{tenant}/contacts|donations|commitments   ?after=ID&limit=N (1 to 1000, 100 by default)
//	GET  /api/{tenant}/contacts/{id}                   a contact, with its activities
//	GET  /api/{tenant}/deliveries                      ?status= ?provider= ?kind= ?since= ?order= ?after= ?limit=
//	GET  /api/{tenant}/deliveries/{id}                 ?body=1 adds the body, masked unless &unmask=1
//	POST /api/{tenant}/deliveries/{id}/replay          the delivery as it then stands
//	POST /api/{tenant}/replay                          ?status=dead|quarantined|failed&since=24h[&provider=]: {"replayed": N}
//
// A listing answers {"items": [...], "next": "ID"}: pass next as ?after=
// for the next page, until items is empty. Deliveries are listed oldest
// first; ?order=newest lists them newest first, next then leading to
// older ones. ?kind= takes a kind, "-" for deliveries without one, or a
// prefix followed by "*" ("report:*"). Errors
// answer {"error": "..."}: 404 for an unknown record or tenant, 400 for a
// bad parameter (naming it), and 500 with a request_id for anything else,
// whose detail goes to the Logger only.
package admin
