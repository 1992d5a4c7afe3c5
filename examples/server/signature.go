package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// The forwarded changes are signed as Standard Webhooks says
// (https://www.standardwebhooks.com/): an HMAC-SHA256, keyed by the
// secret, of the message id, its timestamp and its body.

// webhookSecretPrefix begins a Standard Webhooks signing secret, which is
// the base64 of its key.
const webhookSecretPrefix = "whsec_"

// The length in bytes of a signing key: at least 24, as Standard Webhooks
// requires, and at most 64 (512 bits); the server generates 32.
const (
	minWebhookKey = 24
	maxWebhookKey = 64
	newWebhookKey = 32
)

// signWebhook returns the value of the webhook-signature header of the
// message id sent at timestamp (Unix seconds) with body: "v1," and the
// base64 of the HMAC-SHA256, under key, of "id.timestamp.body".
func signWebhook(key []byte, id string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(timestamp, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// newWebhookSecret returns a new signing secret: whsec_ and the base64 of
// newWebhookKey random bytes.
func newWebhookSecret() string {
	key := make([]byte, newWebhookKey)
	rand.Read(key)
	return webhookSecretPrefix + base64.StdEncoding.EncodeToString(key)
}

// parseWebhookSecret returns the key of a signing secret: whsec_ and the
// base64 of minWebhookKey to maxWebhookKey bytes, which do not repeat one
// character (see strength). Its errors name where the secret was set
// (origin), not the secret.
func parseWebhookSecret(origin, secret string) ([]byte, error) {
	refuse := func(problem error) ([]byte, error) {
		return nil, fmt.Errorf("%s %w; want %s and the base64 of %d to %d random bytes", origin, problem, webhookSecretPrefix, minWebhookKey, maxWebhookKey)
	}
	encoded, ok := strings.CutPrefix(secret, webhookSecretPrefix)
	if !ok {
		return refuse(fmt.Errorf("does not begin with %s", webhookSecretPrefix))
	}
	key, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return refuse(fmt.Errorf("is not standard base64: %w", err))
	}
	if len(key) < minWebhookKey || len(key) > maxWebhookKey {
		return refuse(fmt.Errorf("holds a key of %d bytes", len(key)))
	}
	if strength(encoded) < minStrength {
		return refuse(fmt.Errorf("is too weak: about %.0f bits, at least %d are required", strength(encoded), minStrength))
	}
	return key, nil
}
