package donorsync_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/memstore"
)

// A receiver for ActBlue on the in-memory store, and one delivery.
func ExampleHandler() {
	cred := actblue.Credential{Tenant: "acme", Username: "acme-000001", Password: "ExamplePasswordExample12"}
	auth, err := actblue.NewAuthenticator(cred)
	if err != nil {
		panic(err)
	}
	src, err := actblue.NewSource(auth, actblue.Options{})
	if err != nil {
		panic(err)
	}
	store := memstore.New()
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/actblue/{tenant}", &donorsync.Handler{
		Source:   src,
		Ingester: &donorsync.Ingester{Store: store, Logger: quiet},
		Logger:   quiet,
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	body, _ := os.ReadFile("actblue/testdata/contribution.json")
	req, _ := actblue.NewRequest(context.Background(), srv.URL+"/webhooks/actblue/acme", cred, body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)

	_ = store.View(context.Background(), func(tx donorsync.Tx) error {
		ds, err := tx.Donations(context.Background(), "acme", donorsync.Page{})
		for _, d := range ds {
			fmt.Println(d.ExternalID, d.Amount, d.Status)
		}
		return err
	})
	// Output:
	// 200 OK
	// 99999999 50 completed
}
