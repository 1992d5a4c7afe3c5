package reportstest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

func (s *Server) poll(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	rep, ok := s.find(id)
	if !ok {
		s.mu.Unlock()
		answer(w, http.StatusNotFound, map[string]string{"error": "not found"})
		return
	}
	s.polls[id]++
	pending := s.polls[id] <= s.opts.Polls
	var link string
	if !pending {
		s.links[id]++
		token := fmt.Sprintf("%s-%d", id, s.links[id])
		if s.links[id] > s.opts.Expired {
			s.tokens[token] = rep
		}
		link = s.URL + "/download/" + token + "?X-Amz-Signature=fake"
	}
	s.mu.Unlock()
	switch {
	case pending:
		answer(w, http.StatusOK, map[string]any{"id": id, "status": "in_progress", "download_url": nil})
	case s.opts.Fail != nil && s.opts.Fail(rep):
		answer(w, http.StatusOK, map[string]any{"id": id, "status": "failed", "download_url": nil})
	default:
		answer(w, http.StatusOK, map[string]any{"id": id, "status": "complete", "download_url": link})
	}
}

func (s *Server) find(id string) (Report, bool) {
	for _, r := range s.reports {
		if r.ID == id {
			return r, true
		}
	}
	return Report{}, false
}

// download serves a report once per link, as pre-signed storage links
// do: a used or expired link is answered 403, and so is a request that
// carries credentials.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	s.mu.Lock()
	rep, ok := s.tokens[token]
	delete(s.tokens, token)
	s.mu.Unlock()
	if r.Header.Get("Authorization") != "" {
		http.Error(w, "<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>", http.StatusBadRequest)
		return
	}
	if !ok {
		http.Error(w, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", http.StatusForbidden)
		return
	}
	body := io.Reader(strings.NewReader(CSV(PaidHeader)))
	if s.opts.CSV != nil {
		body = s.opts.CSV(rep)
	}
	w.Header().Set("Content-Type", "text/csv")
	io.Copy(w, body)
}
