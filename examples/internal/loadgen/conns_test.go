package loadgen

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestConnsCarryRequests sends a closed loop through Conns to a server
// that answers some requests with chunked bodies and closes the
// connection after some: every request arrives whole and every answer is
// read, on connections kept from one request to the next.
func TestConnsCarryRequests(t *testing.T) {
	var opened, requests atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || int64(len(body)) != r.ContentLength || !bytes.HasPrefix(body, []byte("{")) ||
			r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Authorization") == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		n := requests.Add(1)
		if n%7 == 0 {
			w.Header().Set("Connection", "close")
		}
		if n%3 == 0 {
			io.WriteString(w, `{"status":`)
			w.(http.Flusher).Flush() // a chunked body
		} else {
			io.WriteString(w, `{"status":`)
		}
		io.WriteString(w, `"pending"}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	g := NewGenerator(3)
	g.Base, g.Tenant = srv.URL, "t"
	g.Creds.ActBlueUser, g.Creds.ActBluePassword = "u", "p"
	c := NewConns(4)
	var pending atomic.Int32
	rep := Run(t.Context(), c, g, Options{Conns: 4, Duration: 300 * time.Millisecond,
		OnAck: func(_ Delivery, status string) {
			if status == "pending" {
				pending.Add(1)
			}
		}})
	c.CloseIdle()
	if rep.OK == 0 || rep.OK != rep.Answered || rep.Errors != 0 || int(pending.Load()) != rep.OK {
		t.Errorf("report %+v, %d answers read as pending", rep, pending.Load())
	}
	// Connections are kept: beyond the first four, one is opened only in
	// place of one the server closed.
	if closes := requests.Load() / 7; opened.Load() > closes+4 {
		t.Errorf("%d connections opened for %d requests, of which %d closed theirs", opened.Load(), requests.Load(), closes)
	}
}

// TestConnsCancel: a request whose context ends while it waits for its
// answer returns the context's error at once, and its connection is not
// used again.
func TestConnsCancel(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			<-release
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	defer close(release)
	c := NewConns(1)
	defer c.CloseIdle()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	r, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader("{}"))
	start := time.Now()
	if _, err := c.Do(r); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("Do = %v after %v; want the deadline's error at once", err, time.Since(start))
	}
	// The one slot is free again, on a new connection.
	r, _ = http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL, strings.NewReader("{}"))
	resp, err := c.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "ok" {
		t.Errorf("second answer %q, %v", b, err)
	}

	r, _ = http.NewRequest(http.MethodPost, "https://example.org/", nil)
	if _, err := c.Do(r); err == nil {
		t.Error("an https request was accepted")
	}
}

// TestRunTimeout: a request the server does not answer within
// Options.Timeout is cut off and counted as a transport error.
func TestRunTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer srv.Close()
	defer close(release)
	g := NewGenerator(4)
	g.Base, g.Tenant = srv.URL, "t"
	c := NewConns(2)
	defer c.CloseIdle()
	rep := Run(t.Context(), c, g, Options{Conns: 2, Duration: 300 * time.Millisecond, Timeout: 40 * time.Millisecond})
	if rep.Errors < 4 || rep.OK != 0 || rep.Answered != 0 {
		t.Errorf("report %+v; want every request cut off after 40 ms and counted", rep)
	}
}

func TestAddress(t *testing.T) {
	for in, want := range map[string]string{
		"http://example.org/x":      "example.org:80",
		"http://example.org:8080/x": "example.org:8080",
		"http://[::1]/x":            "[::1]:80",
		"http://127.0.0.1:9/":       "127.0.0.1:9",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := address(u); got != want {
			t.Errorf("address(%s) = %s; want %s", in, got, want)
		}
	}
}
