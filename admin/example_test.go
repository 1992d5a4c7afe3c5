package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/admin"
	"github.com/donorsync/donorsync/memstore"
)

// requireOperator stands for the embedder's own authentication.
func requireOperator(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer operator-token" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// A CRM mounts the operator pages and API at /admin/, behind its own
// authentication, with a Recent beside its other Observer to count the
// webhook requests refused.
func ExampleHandler() {
	auth, err := actblue.NewAuthenticator(actblue.Credential{Tenant: "acme", Username: "acme-000001", Password: "ExamplePasswordExample12"})
	if err != nil {
		panic(err)
	}
	src, err := actblue.NewSource(auth, actblue.Options{})
	if err != nil {
		panic(err)
	}
	recent := &admin.Recent{}
	ingester := &donorsync.Ingester{Store: memstore.New()}
	ingester.Observer = admin.Tee(ingester.Observer, recent) // a metrics Observer, if set, keeps being told

	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/actblue/{tenant}", &donorsync.Handler{Source: src, Ingester: ingester})
	h := &admin.Handler{Ingester: ingester, Sources: []donorsync.Source{src}, Recent: recent}
	mux.Handle("/admin/", http.StripPrefix("/admin", requireOperator(h)))

	// A delivery that does not decode is kept, quarantined.
	d := &donorsync.Delivery{Tenant: "acme", Body: []byte(`{"donor": 7}`)}
	if err := ingester.Receive(context.Background(), src, d); err != nil {
		panic(err)
	}

	r := httptest.NewRequest(http.MethodGet, "/admin/api/acme/deliveries?status=quarantined&since=24h", nil)
	r.Header.Set("Authorization", "Bearer operator-token")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	var res struct {
		Items []struct {
			Provider, Status string
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		panic(err)
	}
	fmt.Println(w.Code, res.Items)

	r = httptest.NewRequest(http.MethodGet, "/admin/", nil)
	r.Header.Set("Authorization", "Bearer operator-token")
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println(w.Code, strings.Contains(w.Body.String(), "1 quarantined delivery in the last 24 hours for tenant acme."))
	// Output:
	// 200 [{actblue quarantined}]
	// 200 true
}
