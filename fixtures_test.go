package donorsync_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actionnetwork"
	"github.com/donorsync/donorsync/anedot"
	"github.com/donorsync/donorsync/memstore"
)

// providerSources returns a Source of each provider, by its testdata
// directory.
func providerSources(t *testing.T) map[string]donorsync.Source {
	t.Helper()
	const secret = "FixtureSecretFixtureSecret12"
	ab, err1 := actblue.NewAuthenticator(actblue.Credential{Tenant: "t1", Username: "fixtures", Password: secret})
	an, err2 := actionnetwork.NewAuthenticator(actionnetwork.Credential{Tenant: "t1", Token: secret})
	ad, err3 := anedot.NewAuthenticator(anedot.Credential{Tenant: "t1", Token: secret})
	abs, err4 := actblue.NewSource(ab, actblue.Options{})
	ans, err5 := actionnetwork.NewSource(an, actionnetwork.Options{})
	ads, err6 := anedot.NewSource(ad, anedot.Options{})
	for _, err := range []error{err1, err2, err3, err4, err5, err6} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return map[string]donorsync.Source{"actblue": abs, "actionnetwork": ans, "anedot": ads}
}

// TestProviderFixturesAreApplied applies every real delivery the provider
// packages hold (but those they keep as examples of bad input): the
// engine's validation refuses none of them.
func TestProviderFixturesAreApplied(t *testing.T) {
	t.Parallel()
	n := 0
	for dir, src := range providerSources(t) {
		paths, err := filepath.Glob(filepath.Join(dir, "testdata", "*.json"))
		if err != nil || len(paths) == 0 {
			t.Fatalf("%s: no fixtures (%v)", dir, err)
		}
		for _, path := range paths {
			if strings.HasPrefix(filepath.Base(path), "bad_") {
				continue
			}
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			g := &donorsync.Ingester{Store: memstore.New(), Logger: quiet}
			d := &donorsync.Delivery{Tenant: "t1", Body: body}
			if err := g.Receive(t.Context(), src, d); err != nil || d.Status != donorsync.Processed {
				t.Errorf("%s: Receive = %v, status %s, error %q; want processed", path, err, d.Status, d.Error)
			}
			n++
		}
	}
	if n < 30 {
		t.Errorf("applied %d fixtures; want them all", n)
	}
}
