// Package reportstest is a fake of ActBlue's CSV API, for tests of its
// clients: it answers as the API is documented to, and can be told to
// refuse, fail, throttle and expire.
package reportstest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Options shape what a Server does. The zero value serves every report
// at once, empty, to the credential "uuid", "secret".
type Options struct {
	UUID, Secret string // the credential accepted: "uuid", "secret" when empty

	// Polls is the number of polls of each report answered "in_progress"
	// before it is "complete" (or "failed").
	Polls int

	// Limit is the number of API requests answered before one is answered
	// 429 with RetryAfter; the count then starts again. 0: no limit.
	Limit      int
	RetryAfter string

	// Unavailable is the number of the first API requests answered 503.
	Unavailable int

	// Expired is the number of the first download links of each report
	// that have expired by the time they are used.
	Expired int

	// MaxDays is the longest range accepted (186 when 0); a longer one is
	// answered 422, as is a start not before its end.
	MaxDays int

	// Fail reports whether a report ends "failed". Nil: none does.
	Fail func(Report) bool

	// CSV returns the body of a report, read as it is sent. Nil: a CSV
	// of the paid columns with no rows.
	CSV func(Report) io.Reader
}

// A Report is a report asked of a Server.
type Report struct {
	ID         string
	Type       string // csv_type
	Start, End time.Time
}

// A Server is a fake of the CSV API, at URL. Links it hands out work once.
type Server struct {
	URL  string
	opts Options
	srv  *httptest.Server

	mu       sync.Mutex
	reports  []Report
	polls    map[string]int // by report id
	links    map[string]int // by report id: links handed out
	tokens   map[string]Report
	requests []string // "METHOD path" of each request
	answered int      // API requests since the last 429
	calls    int      // API requests
}

// New starts a Server. Close it when done.
func New(opts Options) *Server {
	if opts.UUID == "" && opts.Secret == "" {
		opts.UUID, opts.Secret = "uuid", "secret"
	}
	if opts.MaxDays == 0 {
		opts.MaxDays = 186
	}
	s := &Server{opts: opts, polls: map[string]int{}, links: map[string]int{}, tokens: map[string]Report{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/csvs", s.guard(s.create))
	mux.HandleFunc("GET /api/v1/csvs/{id}", s.guard(s.poll))
	mux.HandleFunc("GET /download/{token}", s.download)
	s.srv = httptest.NewServer(s.log(mux))
	s.URL = s.srv.URL
	return s
}

// Close shuts the Server down, waiting for the requests it is answering.
func (s *Server) Close() { s.srv.Close() }

// Reports returns the reports asked for, in order.
func (s *Server) Reports() []Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Report(nil), s.reports...)
}

// Requests returns "METHOD path" of each request received, in order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

func (s *Server) log(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// guard checks the credential and the budget of an API request.
func (s *Server) guard(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != s.opts.UUID || p != s.opts.Secret {
			w.Header().Set("WWW-Authenticate", `Basic realm="ActBlue"`)
			answer(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
			return
		}
		s.mu.Lock()
		s.calls++
		unavailable := s.calls <= s.opts.Unavailable
		throttled := s.opts.Limit > 0 && s.answered >= s.opts.Limit
		if throttled {
			s.answered = 0
		} else if !unavailable {
			s.answered++
		}
		s.mu.Unlock()
		switch {
		case unavailable:
			answer(w, http.StatusServiceUnavailable, map[string]string{"error": "unavailable"})
		case throttled:
			w.Header().Set("Retry-After", s.opts.RetryAfter)
			answer(w, http.StatusTooManyRequests, map[string]string{"error": "too many requests"})
		default:
			h(w, r)
		}
	}
}

func answer(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Type  string `json:"csv_type"`
		Start string `json:"date_range_start"`
		End   string `json:"date_range_end"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		answer(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	start, err1 := time.Parse(time.DateOnly, req.Start)
	end, err2 := time.Parse(time.DateOnly, req.End)
	switch {
	case !knownType(req.Type):
		answer(w, http.StatusUnprocessableEntity, map[string]string{"error": "unknown csv_type"})
		return
	case err1 != nil || err2 != nil || !start.Before(end) || end.Sub(start) > time.Duration(s.opts.MaxDays)*24*time.Hour:
		answer(w, http.StatusUnprocessableEntity, map[string]string{"error": "invalid date range"})
		return
	}
	s.mu.Lock()
	rep := Report{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", len(s.reports)+1), Type: req.Type, Start: start, End: end}
	s.reports = append(s.reports, rep)
	s.mu.Unlock()
	answer(w, http.StatusAccepted, map[string]string{"id": rep.ID})
}

func knownType(t string) bool {
	switch t {
	case "paid_contributions", "refunded_contributions", "cancelled_recurring_contributions", "managed_form_contributions":
		return true
	}
	return false
}
