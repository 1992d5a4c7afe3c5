package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/donorsync/donorsync/anedot"
)

// More Anedot secret tokens, strong enough.
const (
	secondSecret = "second-anedot-secret-0123456789"
	thirdSecret  = "third-anedot-secret-0123456789"
)

// sendAnedot sends an Anedot delivery signed with token to the server at
// base and returns the status of the answer.
func sendAnedot(t *testing.T, base, token string) int {
	t.Helper()
	r, err := anedot.NewRequest(t.Context(), base+"/webhooks/anedot/default", anedot.Credential{Token: token},
		fixture(t, "anedot/testdata/donation_completed.json"))
	if err != nil {
		t.Fatal(err)
	}
	status, _ := do(t, r)
	return status
}

// TestSeveralAnedotSecrets: the secret token of each webhook given in
// DONORSYNC_ANEDOT_SECRETS is accepted, beside DONORSYNC_ANEDOT_SECRET; a
// token given nowhere is refused.
func TestSeveralAnedotSecrets(t *testing.T) {
	setEnv(t)
	t.Setenv(envAnedotSecrets, " "+secondSecret+" ,")
	base, out, stop := start(t, "-db", filepath.Join(t.TempDir(), "donorsync.db"))
	defer stop()
	for _, token := range []string{secret, secondSecret} {
		if status := sendAnedot(t, base, token); status != http.StatusOK {
			t.Errorf("delivery signed with %q: %d, want 200", token, status)
		}
	}
	if status := sendAnedot(t, base, thirdSecret); status != http.StatusUnauthorized {
		t.Errorf("delivery signed with a token given nowhere: %d, want 401", status)
	}
	if strings.Contains(out.String(), secondSecret) || !strings.Contains(out.String(), "Secret token: 1 more <$"+envAnedotSecrets+">") {
		t.Errorf("start-up text does not say where the other token is, or shows it:\n%s", out.String())
	}
}

// TestAnedotSecretsInTheCredentialsFile: the credentials file keeps more
// Anedot secret tokens; the variable, where set, takes precedence and is
// not saved to the file.
func TestAnedotSecretsInTheCredentialsFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "donorsync.db")
	path := db + ".credentials.json"
	_, out, stop := start(t, "-db", db)
	stop()
	if !strings.Contains(out.String(), "add them to "+envAnedotSecrets) {
		t.Errorf("start-up text does not tell where other webhooks' tokens go:\n%s", out.String())
	}
	c := readCredentials(t, path)
	c.AnedotSecrets = []string{secondSecret}
	writeCredentials(t, path, c)

	base, out, stop := start(t, "-db", db, "-print-credentials")
	if status := sendAnedot(t, base, secondSecret); status != http.StatusOK {
		t.Errorf("delivery signed with the file's second token: %d, want 200", status)
	}
	if status := sendAnedot(t, base, thirdSecret); status != http.StatusUnauthorized {
		t.Errorf("delivery signed with a token given nowhere: %d, want 401", status)
	}
	stop()
	if !strings.Contains(out.String(), "Secret token: "+secondSecret) {
		t.Errorf("-print-credentials does not show the file's second token:\n%s", out.String())
	}

	// The variable replaces the file's list, and a start that saves the
	// file (here, a new admin token) keeps the file's list.
	c.AdminToken = ""
	writeCredentials(t, path, c)
	t.Setenv(envAnedotSecrets, thirdSecret)
	base, _, stop = start(t, "-db", db, "-new-credentials")
	defer stop()
	if status := sendAnedot(t, base, thirdSecret); status != http.StatusOK {
		t.Errorf("delivery signed with the variable's token: %d, want 200", status)
	}
	if status := sendAnedot(t, base, secondSecret); status != http.StatusUnauthorized {
		t.Errorf("delivery signed with the file's token, the variable set: %d, want 401", status)
	}
	if saved := readCredentials(t, path); saved.AdminToken == "" || !slices.Equal(saved.AnedotSecrets, []string{secondSecret}) {
		t.Errorf("saved admin token %q, anedot_secrets %q: want a new token and the file's list", saved.AdminToken, saved.AnedotSecrets)
	}
}

func TestWeakAnedotSecretsAreRefused(t *testing.T) {
	setEnv(t)
	t.Setenv(envAnedotSecrets, secondSecret+",password1")
	db := filepath.Join(t.TempDir(), "donorsync.db")
	err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-db", db}, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), envAnedotSecrets+" (secret 2 of 2) is too weak") || strings.Contains(err.Error(), "password1") {
		t.Errorf("%s with a weak second secret: %v, want an error naming the variable and the secret's place, not the secret", envAnedotSecrets, err)
	}
	t.Setenv(envAnedotSecrets, "")
	path := db + ".credentials.json"
	writeCredentials(t, path, &credentials{AnedotSecrets: []string{"password1"}})
	err = run(t.Context(), []string{"-addr", "127.0.0.1:0", "-db", db}, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), path+": anedot_secrets (secret 1 of 1) is too weak") {
		t.Errorf("credentials file with a weak Anedot secret: %v, want an error naming the file and anedot_secrets", err)
	}
}

func readCredentials(t *testing.T, path string) *credentials {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c credentials
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func writeCredentials(t *testing.T, path string, c *credentials) {
	t.Helper()
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
