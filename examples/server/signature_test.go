package main

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The example the Standard Webhooks libraries sign in their tests.
const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specBody      = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignWebhookSpecExample(t *testing.T) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(specSecret, webhookSecretPrefix))
	if err != nil {
		t.Fatal(err)
	}
	if got := signWebhook(key, specID, specTimestamp, []byte(specBody)); got != specSignature {
		t.Errorf("signature %s, want %s", got, specSignature)
	}
}

// TestSignWebhookVerified checks the signature of a generated secret with
// the Standard Webhooks library, as a receiver would.
func TestSignWebhookVerified(t *testing.T) {
	secret := newWebhookSecret()
	key, err := parseWebhookSecret("generated", secret)
	if err != nil {
		t.Fatalf("a generated secret is refused: %v", err)
	}
	if len(key) != newWebhookKey {
		t.Errorf("generated key of %d bytes, want %d", len(key), newWebhookKey)
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"id":"chg_1","kind":"donation.recorded"}`)
	now := time.Now().Unix()
	h := http.Header{}
	h.Set("webhook-id", "chg_1")
	h.Set("webhook-timestamp", strconv.FormatInt(now, 10))
	h.Set("webhook-signature", signWebhook(key, "chg_1", now, body))
	if err := wh.Verify(body, h); err != nil {
		t.Errorf("the library refuses the signature: %v", err)
	}
	if err := verify(secret, h, body); err != nil {
		t.Errorf("the example of docs/forwarding.md refuses the signature: %v", err)
	}
	body[len(body)-2] = 'x'
	if err := wh.Verify(body, h); err == nil {
		t.Error("the library accepts the signature of another body")
	}
	if err := verify(secret, h, body); err == nil {
		t.Error("the example of docs/forwarding.md accepts the signature of another body")
	}
}

func TestParseWebhookSecret(t *testing.T) {
	b64 := func(b []byte) string { return webhookSecretPrefix + base64.StdEncoding.EncodeToString(b) }
	random := []byte("k7Qz!p2Lm9@xR4vT8&nB1sWq6$yH3cJd5^fG0aE-uI")
	for _, tc := range []struct {
		name, secret, want string
	}{
		{"no prefix", base64.StdEncoding.EncodeToString(random[:32]), "does not begin with whsec_"},
		{"not base64", "whsec_not*base64", "is not standard base64"},
		{"short key", b64(random[:16]), "holds a key of 16 bytes; want whsec_ and the base64 of 24 to 64"},
		{"long key", b64(append(random, random...)), "holds a key of 84 bytes; want"},
		{"repeated", b64(make([]byte, 24)), "is too weak"},
	} {
		_, err := parseWebhookSecret(envForwardSecret, tc.secret)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), envForwardSecret) {
			t.Errorf("%s: %v, want an error naming %s and saying %q", tc.name, err, envForwardSecret, tc.want)
		}
		if err != nil && len(tc.secret) > len(webhookSecretPrefix) && strings.Contains(err.Error(), tc.secret[len(webhookSecretPrefix):]) {
			t.Errorf("%s: the error shows the secret: %v", tc.name, err)
		}
	}
	if key, err := parseWebhookSecret(envForwardSecret, specSecret); err != nil || len(key) != 24 {
		t.Errorf("the specification's example secret: %d bytes, %v", len(key), err)
	}
}
