package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync/actblue"
)

func TestServerReceivesActBlue(t *testing.T) {
	t.Setenv("DONORSYNC_ACTBLUE_USER", "demo-000001")
	t.Setenv("DONORSYNC_ACTBLUE_PASSWORD", "DemoPasswordDemoPassword")
	ctx, cancel := context.WithCancel(t.Context())
	var out bytes.Buffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, &out, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("server stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start")
	}
	if !strings.Contains(out.String(), "demo-000001") || !strings.Contains(out.String(), "/webhooks/actblue/default") {
		t.Errorf("start-up text lacks the URL or credentials:\n%s", out.String())
	}

	body, err := os.ReadFile("../../actblue/testdata/contribution.json")
	if err != nil {
		t.Fatal(err)
	}
	cred := actblue.Credential{Username: "demo-000001", Password: "DemoPasswordDemoPassword"}
	for _, tt := range []struct {
		cred actblue.Credential
		want int
	}{{cred, http.StatusOK}, {actblue.Credential{Username: "demo-000001", Password: "wrong"}, http.StatusUnauthorized}} {
		r, err := actblue.NewRequest(t.Context(), "http://"+addr+"/webhooks/actblue/default", tt.cred, body)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("status %d (%s), want %d", resp.StatusCode, b, tt.want)
		}
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()

	cancel()
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

func TestCredentialNeedsBothVariables(t *testing.T) {
	t.Setenv("DONORSYNC_ACTBLUE_USER", "only-user")
	t.Setenv("DONORSYNC_ACTBLUE_PASSWORD", "")
	if _, err := credential(); err == nil {
		t.Error("credential() with only a username succeeded")
	}
	t.Setenv("DONORSYNC_ACTBLUE_USER", "")
	c, err := credential()
	if err != nil || len(c.Password) != actblue.PasswordLength || c.Tenant != "default" {
		t.Errorf("generated credential = %+v, %v", c, err)
	}
}
