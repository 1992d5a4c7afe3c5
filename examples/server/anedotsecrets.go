package main

import (
	"fmt"
	"strings"

	"github.com/donorsync/donorsync/anedot"
)

// envAnedotSecrets names the variable that sets the Anedot secret tokens
// accepted beside DONORSYNC_ANEDOT_SECRET, comma-separated: Anedot has
// one webhook per template type, each with its own token, all sending to
// the same URL.
const envAnedotSecrets = "DONORSYNC_ANEDOT_SECRETS"

// splitSecrets returns the secrets of a comma-separated list, without the
// spaces around each, leaving out empty ones.
func splitSecrets(list string) []string {
	var secrets []string
	for s := range strings.SplitSeq(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			secrets = append(secrets, s)
		}
	}
	return secrets
}

// checkStrength refuses a secret weaker than minStrength, with an error
// naming where it was set (origin), not the secret.
func checkStrength(origin, secret string) error {
	if strength(secret) >= minStrength {
		return nil
	}
	return fmt.Errorf("%s is too weak: about %.0f bits, at least %d are required (for example 22 random letters and digits of both cases; strength is length × log2 of the alphabet of the character classes used)",
		origin, strength(secret), minStrength)
}

// checkSecrets refuses the list of secrets set by origin when one of them
// is weaker than minStrength, naming which one.
func checkSecrets(origin string, secrets []string) error {
	for i, s := range secrets {
		if err := checkStrength(fmt.Sprintf("%s (secret %d of %d)", origin, i+1, len(secrets)), s); err != nil {
			return err
		}
	}
	return nil
}

// takeAnedotSecrets sets the more Anedot secrets from the environment, as
// fromEnv read it, or else checks those of the credentials file.
func (c *credentials) takeAnedotSecrets(env map[string]string) error {
	if v := env[envAnedotSecrets]; v != "" {
		c.AnedotSecrets, c.fromEnv[envAnedotSecrets] = splitSecrets(v), true
		return nil
	}
	return checkSecrets(c.path+": anedot_secrets", c.AnedotSecrets)
}

// anedotCredentials returns the Anedot secrets of the tenant: the secret
// token and each more.
func (c *credentials) anedotCredentials() []anedot.Credential {
	creds := []anedot.Credential{{Tenant: tenant, Token: c.AnedotSecret}}
	for _, s := range c.AnedotSecrets {
		creds = append(creds, anedot.Credential{Tenant: tenant, Token: s})
	}
	return creds
}
