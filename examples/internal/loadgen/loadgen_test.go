package loadgen

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestGeneratorMakesUniqueDeliveries(t *testing.T) {
	g := NewGenerator(1)
	g.Base, g.Tenant = "http://x", "t"
	g.Weights = map[string]int{"actblue": 1, "anedot": 1, "actionnetwork": 1}
	g.Dup, g.RefundFirst = 0.1, 0.1
	seen := map[string]int{}
	providers := map[string]int{}
	dups, refunds := 0, 0
	for range 3000 {
		batch := g.Next()
		if len(batch) == 0 || len(batch) > 3 {
			t.Fatalf("a step of %d deliveries", len(batch))
		}
		for i, d := range batch {
			if i > 0 && d.Kind == batch[i-1].Kind && d.ID == batch[i-1].ID {
				dups++
				continue
			}
			if d.Kind == "refund" {
				refunds++
			}
			seen[d.Kind+"/"+d.ID]++
			providers[d.Provider]++
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("delivery %s made %d times", k, n)
		}
	}
	if len(providers) != 3 || dups == 0 || refunds == 0 {
		t.Errorf("providers %v, %d duplicates, %d refunds first", providers, dups, refunds)
	}
	if _, err := ParseMix("actblue=1,nope=2"); err == nil {
		t.Error("unknown provider accepted")
	}
	if w, err := ParseMix("actblue=6,anedot=2"); err != nil || w["actblue"] != 6 || w["anedot"] != 2 {
		t.Errorf("ParseMix = %v, %v", w, err)
	}
}

func TestRunCountsAnswers(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if n.Add(1)%10 == 0 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{"status":"pending"}`)
	}))
	defer srv.Close()
	g := NewGenerator(2)
	g.Base, g.Tenant = srv.URL, "t"
	var acked atomic.Int32
	rep := Run(t.Context(), srv.Client(), g, Options{Rate: 500, Conns: 8, Duration: 300 * time.Millisecond,
		OnAck: func(Delivery, string) { acked.Add(1) }})
	// Requests in flight when the run ends may reach the server unanswered.
	if seen := int(n.Load()); rep.Answered > seen || seen-rep.Answered > 8 || rep.OK != int(acked.Load()) || rep.Codes[http.StatusServiceUnavailable] == 0 ||
		rep.OK+rep.Codes[http.StatusServiceUnavailable] != rep.Answered || rep.Max < rep.P50 {
		t.Errorf("report %+v; server saw %d, %d acknowledged", rep, n.Load(), acked.Load())
	}
}
