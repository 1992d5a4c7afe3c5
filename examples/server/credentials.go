package main

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actionnetwork"
)

// credentials are the secrets of the tenant "default": generated on first
// start and kept in a file readable by its owner only.
type credentials struct {
	ActBlueUser     string `json:"actblue_user"`
	ActBluePassword string `json:"actblue_password"`
	AnedotSecret    string `json:"anedot_secret"`
	// AnedotSecrets are the secret tokens of the tenant's other Anedot
	// webhooks, accepted as AnedotSecret is (see envAnedotSecrets).
	AnedotSecrets      []string `json:"anedot_secrets,omitempty"`
	ActionNetworkToken string   `json:"actionnetwork_token"`
	AdminToken         string   `json:"admin_token"`
	// ForwardSecret signs the changes -forward posts (see
	// signWebhook): generated the first time the server forwards.
	ForwardSecret string `json:"forward_secret,omitempty"`

	path      string          // the file that keeps them
	generated map[string]bool // by variable: generated at this start
	fromEnv   map[string]bool // by variable: set by the environment
}

// A field is one credential: the variable that sets it, and whether it is
// a secret (held to minStrength and never printed unless asked).
type field struct {
	env    string
	secret bool
	get    func(c *credentials) *string
	// forward marks the secret of the forwarding: needed only with
	// -forward, and generated then for an existing database too, as no
	// platform holds it; held to parseWebhookSecret's rules.
	forward bool
}

// fields are the credentials in the order they are generated and printed.
var fields = []field{
	{"DONORSYNC_ACTBLUE_USER", false, func(c *credentials) *string { return &c.ActBlueUser }, false},
	{"DONORSYNC_ACTBLUE_PASSWORD", true, func(c *credentials) *string { return &c.ActBluePassword }, false},
	{"DONORSYNC_ANEDOT_SECRET", true, func(c *credentials) *string { return &c.AnedotSecret }, false},
	{"DONORSYNC_ACTIONNETWORK_TOKEN", true, func(c *credentials) *string { return &c.ActionNetworkToken }, false},
	{"DONORSYNC_ADMIN_TOKEN", true, func(c *credentials) *string { return &c.AdminToken }, false},
	{envForwardSecret, true, func(c *credentials) *string { return &c.ForwardSecret }, true},
}

// errNoCredentials reports a database whose credentials file is missing:
// generating new secrets would lock every platform out without a word.
var errNoCredentials = errors.New("the database exists but its credentials are missing")

// credentialOptions say where the credentials are kept and what the
// server may do when some are missing.
type credentialOptions struct {
	path       string
	db         string            // the database, named in errors
	existingDB bool              // the database holds data from earlier starts
	allowNew   bool              // -new-credentials: generate even for an existing database
	forwarding bool              // -forward: the forwarding's secret is needed
	env        map[string]string // the credentials the environment sets (see fromEnv)
	logger     *slog.Logger
}

// fromEnv returns the credentials that getenv sets, by variable, with
// DONORSYNC_ANEDOT_SECRETS as it is. A secret weaker than minStrength is
// refused with an error naming its variable.
func fromEnv(getenv func(string) string) (map[string]string, error) {
	env := map[string]string{}
	for _, f := range fields {
		v := getenv(f.env)
		if v == "" {
			continue
		}
		if err := f.check(v); err != nil {
			return nil, err
		}
		env[f.env] = v
	}
	if v := getenv(envAnedotSecrets); v != "" {
		if err := checkSecrets(envAnedotSecrets, splitSecrets(v)); err != nil {
			return nil, err
		}
		env[envAnedotSecrets] = v
	}
	return env, nil
}

// check refuses v as the value of f's variable when f is a secret and v a
// weak one.
func (f field) check(v string) error {
	switch {
	case f.forward:
		_, err := parseWebhookSecret(f.env, v)
		return err
	case f.secret:
		return checkStrength(f.env, v)
	}
	return nil
}

// loadCredentials reads the credentials file, takes from the environment
// what it sets (o.env), and generates and saves what neither gives. It
// refuses to generate for an existing database, unless o.allowNew says
// so, all but the forwarding's secret, which no platform holds.
func loadCredentials(o credentialOptions) (*credentials, error) {
	c := &credentials{path: o.path, generated: map[string]bool{}, fromEnv: map[string]bool{}}
	if err := c.read(o.logger); err != nil {
		return nil, err
	}
	if err := c.takeAnedotSecrets(o.env); err != nil {
		return nil, err
	}
	missing, forward := c.takeEnv(o)
	if len(missing) == 0 && len(forward) == 0 {
		return c, nil
	}
	if len(missing) > 0 && o.existingDB && !o.allowNew {
		return nil, fmt.Errorf("%w: %s exists and %s lacks %s; restore the file or set the variables, or start once with -new-credentials to generate new ones (every platform must then be given them)",
			errNoCredentials, o.db, o.path, strings.Join(missing, ", "))
	}
	if len(missing) > 0 && o.existingDB {
		o.logger.Warn("generating new credentials for an existing database: give every platform the new ones", "missing", strings.Join(missing, ","))
	}
	if err := c.generate(append(missing, forward...)); err != nil {
		return nil, err
	}
	return c, c.save()
}

// takeEnv sets the credentials that o.env sets, and returns the variables
// of those still missing: the platforms' and the admin's, and the
// forwarding's secret when o.forwarding needs it.
func (c *credentials) takeEnv(o credentialOptions) (missing, forward []string) {
	for _, f := range fields {
		switch v := o.env[f.env]; {
		case v != "":
			*f.get(c), c.fromEnv[f.env] = v, true
		case *f.get(c) != "":
		case !f.forward:
			missing = append(missing, f.env)
		case o.forwarding:
			forward = append(forward, f.env)
		}
	}
	return missing, forward
}

// read fills c from its file, if there is one, after restricting the
// file to its owner.
func (c *credentials) read(logger *slog.Logger) error {
	if err := tighten(logger, c.path); err != nil {
		return err
	}
	data, err := os.ReadFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, c); err != nil {
		return fmt.Errorf("credentials file %s: %w", c.path, err)
	}
	return nil
}

// generate makes a new value for each variable in missing.
func (c *credentials) generate(missing []string) error {
	for _, env := range missing {
		var err error
		switch env {
		case "DONORSYNC_ACTBLUE_USER", "DONORSYNC_ACTBLUE_PASSWORD":
			var ab actblue.Credential
			ab, err = actblue.GenerateCredential(tenant, "donorsync")
			if env == "DONORSYNC_ACTBLUE_USER" {
				c.ActBlueUser = ab.Username
			} else {
				c.ActBluePassword = ab.Password
			}
		case "DONORSYNC_ACTIONNETWORK_TOKEN":
			c.ActionNetworkToken, err = actionnetwork.GenerateToken()
		case "DONORSYNC_ANEDOT_SECRET":
			c.AnedotSecret = rand.Text() + rand.Text() // 260 bits
		case "DONORSYNC_ADMIN_TOKEN":
			c.AdminToken = rand.Text() + rand.Text()
		case envForwardSecret:
			c.ForwardSecret = newWebhookSecret()
		}
		if err != nil {
			return err
		}
		c.generated[env] = true
	}
	return nil
}

// save writes the credentials that did not come from the environment to
// their file, readable by its owner only: through a new file renamed over
// the old, so that a crash leaves one or the other.
func (c *credentials) save() error {
	// Keep what the file held for the variables the environment sets.
	var prev credentials
	if old, err := os.ReadFile(c.path); err == nil && json.Unmarshal(old, &prev) != nil {
		prev = credentials{}
	}
	keep := *c
	for _, f := range fields {
		if c.fromEnv[f.env] {
			*f.get(&keep) = *f.get(&prev)
		}
	}
	if c.fromEnv[envAnedotSecrets] {
		keep.AnedotSecrets = prev.AnedotSecrets
	}
	data, err := json.MarshalIndent(&keep, "", "  ")
	if err != nil {
		return err
	}
	if err := writePrivate(c.path, append(data, '\n')); err != nil {
		return fmt.Errorf("save credentials: %w", err)
	}
	return nil
}

// writePrivate replaces path by a file of privateMode holding data.
func writePrivate(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	if err := tmp.Chmod(privateMode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
