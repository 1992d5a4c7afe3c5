package main

import (
	"crypto/sha256"
	"log/slog"
	"net/http"

	"github.com/donorsync/donorsync"
	// Imported as operator: the tests name the admin token admin.
	operator "github.com/donorsync/donorsync/admin"
)

// mountAdmin mounts, behind the admin token, the operator pages at
// /admin/ (the token given as a bearer token, or once through the login
// form for a session cookie) and the read API at /api/{tenant}/... (a
// bearer token), with the status of the reconciliations rc (nil when
// off) at /api/{tenant}/reconciliation.
//
// It sets the Ingester's Observer to a Recent that counts the webhook
// requests for the pages, teed beside the Observer already set, if any
// (metrics): set that one before.
func mountAdmin(mux *http.ServeMux, ingester *donorsync.Ingester, sources []donorsync.Source, token string,
	rc *reconciliation, logger *slog.Logger) {
	recent := &operator.Recent{}
	ingester.Observer = operator.Tee(ingester.Observer, recent)
	h := &operator.Handler{
		Ingester: ingester, Sources: sources, Tenants: []string{tenant}, Recent: recent, SignOut: "logout", Logger: logger,
	}
	a := &api{token: sha256.Sum256([]byte(token)), reconciliation: rc, logger: logger}
	mux.Handle("/api/", a.requireBearer(h))
	mux.Handle("GET /api/{tenant}/reconciliation", a.auth(a.reconciliationStatus))

	s := newSessions(token, a)
	mux.Handle("/admin/", http.StripPrefix("/admin", s.require(h)))
	s.routes(mux)
}
