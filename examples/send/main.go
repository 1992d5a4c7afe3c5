// Command send posts correctly authenticated sample deliveries of each
// platform to a donorsync receiver, like the platforms' "Send Test"
// buttons, so that you can try your endpoint.
//
//	go run ./examples/send -url http://127.0.0.1:8080 -actblue-user U -actblue-password P -anedot-secret S -actionnetwork-token T
//
// Each run sends new donations (their ids come from the clock), then sends
// the first one again to show that a redelivery is a duplicate.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actionnetwork"
	"github.com/donorsync/donorsync/anedot"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "send:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "base URL of the receiver")
	tenant := fs.String("tenant", "default", "tenant")
	abUser := fs.String("actblue-user", "", "ActBlue Basic-Auth username (skip ActBlue if empty)")
	abPass := fs.String("actblue-password", "", "ActBlue Basic-Auth password")
	secret := fs.String("anedot-secret", "", "Anedot secret token (skip Anedot if empty)")
	token := fs.String("actionnetwork-token", "", "Action Network URL token (skip Action Network if empty)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	n := time.Now().Unix()
	var reqs []*http.Request
	add := func(r *http.Request, err error) error {
		if err != nil {
			return err
		}
		reqs = append(reqs, r)
		return nil
	}
	if *abUser != "" {
		cred := actblue.Credential{Username: *abUser, Password: *abPass}
		url := *base + "/webhooks/actblue/" + *tenant
		for _, body := range []string{actblueContribution(n), actblueContribution(n), actblueRefund(n)} {
			if err := add(actblue.NewRequest(ctx, url, cred, []byte(body))); err != nil {
				return err
			}
		}
	}
	if *secret != "" {
		url := *base + "/webhooks/anedot/" + *tenant
		for _, body := range []string{anedotDonation(n)} {
			if err := add(anedot.NewRequest(ctx, url, anedot.Credential{Token: *secret}, []byte(body))); err != nil {
				return err
			}
		}
	}
	if *token != "" {
		url := *base + "/webhooks/actionnetwork/" + *tenant
		for _, body := range []string{actionNetworkSignature(n), actionNetworkDonation(n)} {
			if err := add(actionnetwork.NewRequest(ctx, url, actionnetwork.Credential{Token: *token}, []byte(body))); err != nil {
				return err
			}
		}
	}
	if len(reqs) == 0 {
		return fmt.Errorf("give the credentials of at least one platform (see -h)")
	}
	failed := 0
	for _, r := range reqs {
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		path := r.URL.Path
		if *token != "" {
			path = strings.ReplaceAll(path, *token, "<token>")
		}
		fmt.Fprintf(out, "%-45s %d %s\n", path, resp.StatusCode, strings.TrimSpace(string(b)))
		if resp.StatusCode != http.StatusOK {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d deliveries were not accepted", failed, len(reqs))
	}
	return nil
}
