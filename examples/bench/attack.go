package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/anedot"
	"github.com/donorsync/donorsync/examples/internal/loadgen"
	"github.com/donorsync/donorsync/store/sqlite"
)

// The receiver under attack: deliveries at a steady rate while attackers
// send what costs most, against the same run without them.

// attackRate is the rate of the deliveries sent beside the attacks.
const attackRate = 1000

// anedotSecret signs nothing in the attacks: they send no credentials.
const anedotSecret = "BenchAnedotSecretBenchAnedotSecret0123"

// An attacker sends requests to base until ctx is done, and counts them.
type attacker func(ctx context.Context, base string, sent *atomic.Int64)

// attackOutcome is a run at attackRate beside an attack.
type attackOutcome struct {
	normal loadgen.Report
	peak   float64 // the process's peak RSS, MiB
	sent   int64   // attack requests answered
}

func (o attackOutcome) String() string {
	codes := ""
	if len(o.normal.Codes) > 0 {
		codes = fmt.Sprint(" ", o.normal.Codes)
	}
	return fmt.Sprintf("peak RSS %.0f MiB; p99 %.1f ms, max %.1f ms; %d sent, %d answered, %d non-2xx%s, %d transport errors",
		o.peak, ms(o.normal.P99), ms(o.normal.Max), o.normal.Sent, o.normal.Answered, o.normal.Answered-o.normal.OK, codes, o.normal.Errors)
}

// attackRows measures the receiver at attackRate alone, beside floods of
// large bodies without credentials, and beside authenticated bodies that
// cost decoding most.
func attackRows(ctx context.Context, dir string, log *slog.Logger, d time.Duration) ([]row, error) {
	calm, err := underAttack(ctx, filepath.Join(dir, "calm.db"), log, d, nil)
	if err != nil {
		return nil, err
	}
	baseline := "without the attack: " + calm.String()
	// A Handler holds at most its cap of bodies, which the garbage
	// collector lets grow by GOGC percent before collecting.
	bound := calm.peak + float64(donorsync.DefaultMaxBytesInFlight>>20)*(1+float64(gogc)/100)
	costly, err := underAttack(ctx, filepath.Join(dir, "costly.db"), log, d, costlyBodies(3))
	if err != nil {
		return nil, err
	}
	rows := []row{{fmt.Sprintf("Under attack, time: 3 connections sending authenticated 1 MiB bodies that cost decoding most, beside %d deliveries/s: "+
		"no delivery answered after Action Network's 500 ms, every one acknowledged", attackRate),
		fmt.Sprintf("%s; %d attack bodies quarantined", costly, costly.sent), baseline, "",
		verdict(costly.normal.Max < 500*time.Millisecond && costly.normal.OK == costly.normal.Answered)}}
	for _, provider := range []string{"actblue", "anedot"} {
		flood, err := underAttack(ctx, filepath.Join(dir, "flood-"+provider+".db"), log, d, floodWithoutCredentials(1000, provider))
		if err != nil {
			return nil, err
		}
		rows = append(rows, row{fmt.Sprintf("Under attack, memory: 1,000 connections sending 1 MiB bodies to %s without credentials, beside %d deliveries/s: "+
			"peak RSS within MaxBytesInFlight (× the GOGC growth) of the run without them (%.0f MiB)", provider, attackRate, bound),
			fmt.Sprintf("%s; %d attack requests answered", flood, flood.sent), baseline, "", verdict(flood.peak <= bound)})
	}
	return rows, nil
}

// underAttack runs deliveries at attackRate for d into a queued receiver
// on a new SQLite store at path, beside attack (none when nil).
func underAttack(ctx context.Context, path string, log *slog.Logger, d time.Duration, attack attacker) (attackOutcome, error) {
	st, err := sqlite.Open(ctx, path, sqliteOptions())
	if err != nil {
		return attackOutcome{}, err
	}
	defer st.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	base := serve(ctx, attackReceiver(st, log))
	debug.FreeOSMemory() // what earlier runs left
	rss := sampleRSS(ctx, d)
	var sent atomic.Int64
	var wg sync.WaitGroup
	attackCtx, stop := context.WithCancel(ctx)
	if attack != nil {
		wg.Go(func() { attack(attackCtx, base, &sent) })
	}
	normal := send(ctx, base, "default", loadgen.Options{Rate: attackRate, Conns: 256, Duration: d})
	stop()
	wg.Wait()
	return attackOutcome{normal: normal, peak: slices.Max(<-rss), sent: sent.Load()}, nil
}

// attackReceiver is the ActBlue receiver of the other parts, with an
// Anedot Handler beside it (a platform whose bodies must be read to be
// authenticated).
func attackReceiver(st donorsync.Store, log *slog.Logger) http.Handler {
	auth, _ := anedot.NewAuthenticator(anedot.Credential{Tenant: "default", Token: anedotSecret})
	src, _ := anedot.NewSource(auth, anedot.Options{})
	mux := http.NewServeMux()
	mux.Handle("/", receiver(st, log, true))
	mux.Handle("POST /webhooks/anedot/{tenant}", &donorsync.Handler{Source: src,
		Ingester: &donorsync.Ingester{Store: st, Logger: log}, Logger: log, Queued: true})
	return mux
}

// floodWithoutCredentials sends 1 MiB bodies without credentials to a
// provider's Handler on n connections, each at trickleRate, as many
// clients on the other side of a network would (1,000 of them fill a link
// of 100 MB/s).
func floodWithoutCredentials(n int, provider string) attacker {
	body := bytes.Repeat([]byte("x"), donorsync.DefaultMaxBodyBytes)
	return func(ctx context.Context, base string, sent *atomic.Int64) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}}
		defer client.CloseIdleConnections()
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() { repeat(ctx, client, base+"/webhooks/"+provider+"/default", body, trickle, sent) })
		}
		wg.Wait()
	}
}

// costlyBodies sends, on n connections, authenticated ActBlue bodies of
// 1 MiB built to cost a decoder most: the engine quarantines each.
func costlyBodies(n int) attacker {
	items := strings.Repeat("{},", (donorsync.DefaultMaxBodyBytes-32)/3)
	body := []byte(`{"lineitems":[` + strings.TrimSuffix(items, ",") + `]}`)
	sign := func(r *http.Request) *http.Request {
		r.SetBasicAuth(creds.ActBlueUser, creds.ActBluePassword)
		return r
	}
	return func(ctx context.Context, base string, sent *atomic.Int64) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
		defer client.CloseIdleConnections()
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() { repeat(ctx, client, base+"/webhooks/actblue/default", body, sign, sent) })
		}
		wg.Wait()
	}
}

// repeat posts body to url, the request changed by edit, until ctx is
// done.
func repeat(ctx context.Context, client *http.Client, url string, body []byte, edit func(*http.Request) *http.Request, sent *atomic.Int64) {
	for ctx.Err() == nil {
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return
		}
		r = edit(r)
		resp, err := client.Do(r)
		if err != nil {
			continue // the server closes a connection whose body it will not read
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		sent.Add(1)
	}
}

// trickleRate is the rate at which each connection of a flood sends.
const trickleRate = 100 << 10 // bytes a second

// trickle makes r's body arrive at trickleRate, its length declared.
func trickle(r *http.Request) *http.Request {
	r.Body = &trickleBody{r: r.Body, ctx: r.Context()}
	return r
}

type trickleBody struct {
	r   io.ReadCloser
	ctx context.Context
}

func (b *trickleBody) Read(p []byte) (int, error) {
	const piece = trickleRate / 10
	select {
	case <-time.After(100 * time.Millisecond):
	case <-b.ctx.Done():
		return 0, b.ctx.Err()
	}
	return b.r.Read(p[:min(len(p), piece)])
}

func (b *trickleBody) Close() error { return b.r.Close() }
