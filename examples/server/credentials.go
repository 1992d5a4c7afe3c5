package main

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actionnetwork"
)

// credentials are the secrets of the tenant "default": generated on first
// start and kept in a file readable by its owner only.
type credentials struct {
	ActBlueUser         string `json:"actblue_user"`
	ActBluePassword     string `json:"actblue_password"`
	AnedotSecret        string `json:"anedot_secret"`
	ActionNetworkToken  string `json:"actionnetwork_token"`
	AdminToken          string `json:"admin_token"`
	generatedOrReplaced bool
}

// environment variables that override the stored or generated values.
var envVars = map[string]func(c *credentials) *string{
	"DONORSYNC_ACTBLUE_USER":        func(c *credentials) *string { return &c.ActBlueUser },
	"DONORSYNC_ACTBLUE_PASSWORD":    func(c *credentials) *string { return &c.ActBluePassword },
	"DONORSYNC_ANEDOT_SECRET":       func(c *credentials) *string { return &c.AnedotSecret },
	"DONORSYNC_ACTIONNETWORK_TOKEN": func(c *credentials) *string { return &c.ActionNetworkToken },
	"DONORSYNC_ADMIN_TOKEN":         func(c *credentials) *string { return &c.AdminToken },
}

// loadCredentials reads path, generates what is missing (and saves it),
// then applies the environment.
func loadCredentials(path string) (*credentials, error) {
	c := &credentials{}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, c); err != nil {
			return nil, fmt.Errorf("credentials file %s: %w", path, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	changed := false
	if c.ActBlueUser == "" || c.ActBluePassword == "" {
		ab, err := actblue.GenerateCredential(tenant, "donorsync")
		if err != nil {
			return nil, err
		}
		c.ActBlueUser, c.ActBluePassword, changed = ab.Username, ab.Password, true
	}
	for _, s := range []*string{&c.AnedotSecret, &c.AdminToken} {
		if *s == "" {
			*s, changed = rand.Text()+rand.Text(), true // 260 bits
		}
	}
	if c.ActionNetworkToken == "" {
		tok, err := actionnetwork.GenerateToken()
		if err != nil {
			return nil, err
		}
		c.ActionNetworkToken, changed = tok, true
	}
	if changed {
		data, err := json.MarshalIndent(c, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, append(data, '\n'), 0o600); err != nil {
			return nil, fmt.Errorf("save credentials: %w", err)
		}
		c.generatedOrReplaced = true
	}
	for name, field := range envVars {
		if v := os.Getenv(name); v != "" {
			*field(c) = v
		}
	}
	if len(c.ActionNetworkToken) < actionnetwork.MinTokenLength {
		return nil, fmt.Errorf("the Action Network token needs at least %d characters", actionnetwork.MinTokenLength)
	}
	return c, nil
}
