// Command server is a runnable donorsync receiver for ActBlue, Anedot and
// Action Network, for the tenant "default".
//
//	go run ./examples/server [-addr 127.0.0.1:8080] [-db donorsync.db | -db postgres://...] [-mode queued|inline]
//		[-print-credentials] [-new-credentials] [-credentials FILE]
//		[-header-timeout 5s] [-read-timeout 15s]
//		[-reconcile-every 24h] [-reconcile-days 3] [-backfill-from 2024-01-01]
//		[-forward URL] [-forward-name forward] [-forward-timeout 15s] [-forward-retry-max 5m]
//	go run ./examples/server reconcile [-from YYYY-MM-DD] [-to YYYY-MM-DD] [-apply] [-json] [-db PATH|URL] [-tenant default]
//	go run ./examples/server status | deliveries | show | replay ...   (operator commands: see below)
//
// It stores into a SQLite file (or PostgreSQL, given a postgres:// URL).
// On first start it generates the webhook credentials and an admin token,
// saves them beside the database (-credentials), and prints each webhook
// URL with its credentials, ready to paste into the platforms. Later
// starts print the URLs and say where the secrets are kept, not what they
// are; -print-credentials prints them again. The variables
// DONORSYNC_ACTBLUE_USER, DONORSYNC_ACTBLUE_PASSWORD,
// DONORSYNC_ANEDOT_SECRET, DONORSYNC_ACTIONNETWORK_TOKEN and
// DONORSYNC_ADMIN_TOKEN, where set, take precedence; a secret among them
// weaker than 128 bits is refused (see strength).
//
// Anedot has one webhook per template type, each with its own secret
// token, all sending to the same URL. The tokens of the webhooks beyond
// the first go in DONORSYNC_ANEDOT_SECRETS, comma-separated, or in the
// list anedot_secrets of the credentials file (the variable, where set,
// takes precedence and is not saved to the file); each one, held to the
// same 128 bits, is accepted as DONORSYNC_ANEDOT_SECRET is.
//
// The SQLite database, its -wal and -shm files, the credentials file and
// the backfill's record are readable by their owner only (0600): the
// server creates them so, and tightens them, with a warning, if it finds
// them looser.
//
// A database that exists without its credentials (the file lost, the
// variables unset) stops the server: generating new secrets would lock
// every platform out. -new-credentials generates them anyway; every
// platform must then be given the new ones.
//
// # Reconciling with ActBlue's reports
//
// ActBlue gives up on a webhook after ten attempts; its CSV reports still
// hold the gift. The reconcile command compares the paid, refunded and
// cancelled-recurring reports of the days from -from (inclusive; default 7
// days ago) to -to (exclusive; default tomorrow, so that today is
// included), in ActBlue's calendar (US Eastern), with the store at -db,
// which it does not create (see package actblue/reconcile); it may run
// while the server runs. It prints a table of the differences, or with
// -json the report as JSON, and with -apply applies the rows the store is
// missing: each once however often it runs, as every row has its own
// idempotency key. It exits 0 when nothing differs, 1 when something
// differs (applied or not: some differences, such as another amount here
// or a donation in no report, applying cannot mend) and 2 on an error.
//
// It reads the reports with the credential of ActBlue's CSV API (ActBlue
// dashboard, Admin > API Credentials) in DONORSYNC_ACTBLUE_CLIENT_UUID and
// DONORSYNC_ACTBLUE_CLIENT_SECRET. DONORSYNC_ACTBLUE_API_URL changes where
// the API is (default https://secure.actblue.com), and
// DONORSYNC_ACTBLUE_API_BUDGET the requests a minute sent to it (default
// 10, which a reconciliation of up to 180 days spends 6 of).
//
// The server reconciles in the background too, with the same credential,
// applying what the store is missing, one run at a time:
//
//   - -reconcile-every 24h reconciles today and the -reconcile-days days
//     before it (3 by default), at start and then that long after the end
//     of each run; 0 (the default) runs none. Each run logs a line with
//     its counts (rows, differences by kind, applied), or a warning when
//     it fails, and the next run is tried all the same.
//   - -backfill-from 2024-01-01 reconciles from that day to today, at the
//     first start, before the periodic runs (ActBlue's reports are asked
//     for 180 days at a time). Its completion is recorded beside the
//     database (DB.backfill.json, or donorsync.backfill.json for
//     PostgreSQL), so that a restart does not repeat it; a backfill from
//     an earlier day runs again. One stopped half-way, even by SIGKILL,
//     runs again at the next start, or at the next periodic run (hourly
//     without -reconcile-every) when it failed; nothing is applied twice.
//
// Either flag without the credential stops the server at start.
// GET /api/default/reconciliation (with the admin token) answers what the
// runs found and applied since the server started, and where the
// backfill stands.
//
// # Forwarding changes
//
// -forward https://crm.example/hooks/donorsync (or DONORSYNC_FORWARD, or
// DONORSYNC_FORWARD_URL) posts each change the server makes to its
// records to that URL: a contact created, updated or
// merged, a donation recorded, refunded, settled or updated, a commitment
// created, cancelled, failed or updated, an activity recorded (package
// change). Each is a request of Standard Webhooks
// (https://www.standardwebhooks.com/): a POST of the change's JSON
// (Content-Type: application/json: its id, tenant, position, kind, key,
// delivery, time, and the record as it is after the change), with the
// headers webhook-id (the change's id, the same at every attempt: a
// receiver deduplicates by it), webhook-timestamp (the attempt's, in Unix
// seconds) and webhook-signature ("v1," and the base64 of the
// HMAC-SHA256 of "id.timestamp.body", keyed by the secret). The secret,
// whsec_ and the base64 of its key, is generated at the first start with
// -forward, for an existing database too, kept in the credentials file
// (forward_secret) and printed then, as the other secrets are;
// DONORSYNC_FORWARD_SECRET, where set, takes precedence, and is refused
// unless it is whsec_ and the base64 of 24 to 64 random bytes.
//
// The changes of a tenant go one at a time, in the order they were made.
// A change the receiver does not answer 2xx within -forward-timeout
// (another status, a redirect, which is not followed, a timeout, a refused
// connection) is tried again, after 1 s, 2 s, 4 s and so on up to
// -forward-retry-max, before any later change is sent: at least once
// each, in order. Where the forwarding stands is kept in the store under
// -forward-name, so that a restart, even after a SIGKILL, goes on from
// there, sending again at most the 100 changes in hand; servers sharing a
// PostgreSQL database share the work, and those forwarding elsewhere
// need names of their own. Changes are recorded only while -forward is
// on, and kept 7 days once forwarded. The reconcile and replay commands
// record those they make when DONORSYNC_FORWARD (or DONORSYNC_FORWARD_URL)
// is set. Log lines name the change, its kind and the receiver's answer,
// never donor data. See docs/forwarding.md for a receiver.
//
// # Settings from the environment
//
// Each flag, of the server and of the reconcile command, may also be set
// by a variable: DONORSYNC_ and the flag in upper snake case, as
// DONORSYNC_ADDR for -addr or DONORSYNC_RECONCILE_EVERY for
// -reconcile-every (-h names each). A flag given on the command line wins
// over its variable; an empty variable counts as unset; a value the flag
// would refuse stops the command with an error naming the variable.
//
// Unless the environment sets GOGC, the server runs Go's garbage collector
// at GOGC=400 (see gcPercent).
//
// # Operator commands
//
// Against the same -db, while the server runs (SQLite or PostgreSQL), each
// with -json for programs:
//
//	server status                                   the last delivery of each platform, the last 24 hours by status, the backlog
//	server deliveries [-status dead] [-since 24h]   deliveries newest first (-oldest), with -provider, -kind, -limit, -after
//	server show [-body] ID                          one delivery: key, attempts, next attempt, error, earlier attempts, body
//	server replay ID                                apply one delivery again
//	server replay -status dead [-since 24h]         apply again every delivery of a status received since a time
//
// # Routes
//
//	POST /webhooks/actblue/{tenant}
//	POST /webhooks/anedot/{tenant}
//	POST /webhooks/actionnetwork/{tenant}/{token}
//	GET  /api/{tenant}/contacts|donations|commitments|deliveries   (Authorization: Bearer <admin token>)
//	GET  /api/{tenant}/contacts/{id}, /api/{tenant}/deliveries/{id}[?body=1]
//	POST /api/{tenant}/deliveries/{id}/replay, /api/{tenant}/replay?status=dead&since=24h
//	GET  /api/{tenant}/reconciliation
//	GET  /admin/   the operator pages (package admin): the admin token as a bearer token, or
//	               given once at /admin/login for a session cookie (12 hours; POST /admin/logout)
//	GET  /healthz   200 while the process answers
//	GET  /readyz    200 when the store answers a read and a write within 2 s, 503 otherwise
//	GET  /metrics   Prometheus metrics (Authorization: Bearer <admin token>; see below)
//
// Another method than POST on a webhook route is answered 405, and a path
// under /webhooks/ that no route matches 404; both are logged with the
// provider the path names.
//
// # Metrics
//
// GET /metrics serves the metrics of package
// github.com/donorsync/donorsync/metrics/prometheus (requests by provider
// and outcome, applies, retries, dead letters, durations, and the
// journal's backlog and freshness, read from the store at most once a
// minute), Go's and the process's, to a scraper that sends the admin
// token as a bearer token. -metrics-addr 127.0.0.1:9090 serves them there instead,
// without authentication, and not on -addr: keep that address off the
// internet (a loopback or private address, or a firewall), as the
// metrics name the tenants. See docs/metrics.md for alerts.
package main
