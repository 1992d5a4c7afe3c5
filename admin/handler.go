package admin

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/donorsync/donorsync"
)

// DefaultQuiet is how long a watched provider may send nothing before the
// at-a-glance page highlights it, for a Handler whose Quiet is zero.
const DefaultQuiet = 24 * time.Hour

// DefaultMaxScan bounds the records a contact's page reads to find the
// contact's, for a Handler whose MaxScan is zero.
const DefaultMaxScan = 10_000

// A Handler serves the operator pages and the JSON read API over an
// Ingester's store. It authenticates nobody: mount it behind the
// embedder's own authentication, under a prefix stripped without its
// trailing slash:
//
//	mux.Handle("/admin/", http.StripPrefix("/admin", auth(h)))
//
// Every link it writes is relative, so any prefix works. It serves every
// tenant of the store, or those of Tenants; an embedder that gives
// operators some tenants only checks the tenant in the path (the pages
// take it from the path, or from ?tenant= on the deliveries page and the
// replay forms) before the Handler runs.
//
// Requests that change anything are POSTs, and the Handler refuses
// cross-origin ones (see http.CrossOriginProtection): a page of another
// site cannot make an operator's browser replay deliveries. Requests
// without Sec-Fetch-Site or Origin headers, as API clients send them,
// pass.
//
// Set Ingester; other fields are optional. A Handler is safe for
// concurrent use; do not change its fields once it serves.
type Handler struct {
	// Ingester reads the journal and the records (through its Store) and
	// replays deliveries. Required.
	Ingester *donorsync.Ingester

	// Sources decode deliveries, for their page and for replays, one per
	// provider. A delivery whose provider has none is shown undecoded and
	// cannot be replayed.
	Sources []donorsync.Source

	// Tenants are the tenants served. Nil means every tenant: the pages
	// list those with deliveries in the journal.
	Tenants []string

	// Recent counts the requests the webhook Handlers answered, refusals
	// included, which the store does not know of: set it as the
	// Ingester's Observer too (see Tee). Nil means the at-a-glance page
	// does not show them.
	Recent *Recent

	// Watch names the providers whose silence the at-a-glance page
	// highlights, for every tenant: no delivery for Quiet. Nil means
	// "actblue", the platform that sends the most.
	Watch []string

	// Quiet is how long a watched provider may send nothing before it is
	// highlighted. 0 means DefaultQuiet.
	Quiet time.Duration

	// MaxScan bounds the records a contact's page reads to find the
	// contact's donations and commitments, of each. 0 means
	// DefaultMaxScan.
	MaxScan int

	// SignOut, when set, is a path relative to the Handler's root (such
	// as "logout") that a Sign out button on every page POSTs to.
	SignOut string

	// Now is the clock of the pages ("2 hours ago", ?since=24h). Nil
	// means time.Now.
	Now func() time.Time

	// Logger receives the internal errors (under the request id the
	// answer gives), the replays, and each unmasked body shown. Nil means
	// slog.Default().
	Logger *slog.Logger

	once    sync.Once
	serve   http.Handler
	sources map[string]donorsync.Source
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(h.init)
	h.serve.ServeHTTP(w, r)
}

func (h *Handler) init() {
	h.sources = make(map[string]donorsync.Source, len(h.Sources))
	for _, s := range h.Sources {
		h.sources[s.Provider()] = s
	}
	mux := http.NewServeMux()
	h.pageRoutes(mux)
	h.apiRoutes(mux)
	h.serve = http.NewCrossOriginProtection().Handler(mux)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) quiet() time.Duration {
	if h.Quiet > 0 {
		return h.Quiet
	}
	return DefaultQuiet
}

func (h *Handler) maxScan() int {
	if h.MaxScan > 0 {
		return h.MaxScan
	}
	return DefaultMaxScan
}

func (h *Handler) watched(provider string) bool {
	if h.Watch == nil {
		return provider == "actblue"
	}
	return slices.Contains(h.Watch, provider)
}

// serves reports whether the Handler serves tenant.
func (h *Handler) serves(tenant string) bool {
	return tenant != "" && (h.Tenants == nil || slices.Contains(h.Tenants, tenant))
}

// providers are the names of the Sources, sorted.
func (h *Handler) providers() []string {
	var ps []string
	for p := range h.sources {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

// base is the relative path from the page r asks for to the Handler's
// root ("./" or "../../"), so that links work under any prefix.
func base(r *http.Request) string {
	depth := strings.Count(r.URL.EscapedPath(), "/") - 1
	if depth <= 0 {
		return "./"
	}
	return strings.Repeat("../", depth)
}
