package admin_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/admin"
	"github.com/google/go-cmp/cmp"
)

func TestRecentCountsOverItsWindow(t *testing.T) {
	c := &clock{now: start}
	r := &admin.Recent{Now: c.Now}
	ctx := context.Background()
	req := func(provider string, status int, o donorsync.Outcome, f donorsync.AuthFailure) {
		r.Request(ctx, donorsync.RequestEvent{Provider: provider, Tenant: "t", Status: status, Outcome: o, AuthFailure: f})
	}
	req("actblue", 200, donorsync.Outcome(donorsync.Processed), "")
	req("actblue", 401, donorsync.OutcomeUnauthorized, donorsync.AuthWrongCredential)
	req("actblue", 401, donorsync.OutcomeUnauthorized, donorsync.AuthWrongCredential)
	req("actblue", 401, donorsync.OutcomeUnauthorized, donorsync.AuthMalformed)
	req("actblue", 401, donorsync.OutcomeUnauthorized, donorsync.AuthUnknownTenant)
	req("actblue", 401, donorsync.OutcomeUnauthorized, donorsync.AuthUnspecifiedFailure)
	c.Add(12 * time.Hour)
	req("anedot", 413, donorsync.OutcomeTooLarge, "")
	req("anedot", 503, donorsync.OutcomeUnavailable, "")
	req("anedot", 503, donorsync.OutcomeBusy, "")
	req("anedot", 405, donorsync.OutcomeMethod, "")
	req("anedot", 400, donorsync.OutcomeUnreadable, "")
	r.Applied(ctx, donorsync.ApplyEvent{Provider: "anedot", Status: donorsync.Dead})
	r.Applied(ctx, donorsync.ApplyEvent{Provider: "anedot", Status: donorsync.Processed})
	r.Applied(ctx, donorsync.ApplyEvent{Provider: "anedot", Status: donorsync.Processed})

	later := []admin.RequestCount{
		{Provider: "anedot", Status: 400, Outcome: donorsync.OutcomeUnreadable, Count: 1},
		{Provider: "anedot", Status: 405, Outcome: donorsync.OutcomeMethod, Count: 1},
		{Provider: "anedot", Status: 413, Outcome: donorsync.OutcomeTooLarge, Count: 1},
		{Provider: "anedot", Status: 503, Outcome: donorsync.OutcomeBusy, Count: 1},
		{Provider: "anedot", Status: 503, Outcome: donorsync.OutcomeUnavailable, Count: 1},
	}
	want := admin.Counts{
		Since: start,
		Requests: append([]admin.RequestCount{
			{Provider: "actblue", Status: 200, Outcome: "processed", Count: 1},
			{Provider: "actblue", Status: 401, Outcome: donorsync.OutcomeUnauthorized, AuthFailure: donorsync.AuthMalformed, Count: 1},
			{Provider: "actblue", Status: 401, Outcome: donorsync.OutcomeUnauthorized, AuthFailure: donorsync.AuthUnknownTenant, Count: 1},
			{Provider: "actblue", Status: 401, Outcome: donorsync.OutcomeUnauthorized, AuthFailure: donorsync.AuthUnspecifiedFailure, Count: 1},
			{Provider: "actblue", Status: 401, Outcome: donorsync.OutcomeUnauthorized, AuthFailure: donorsync.AuthWrongCredential, Count: 2},
		}, later...),
		Applied: []admin.AppliedCount{
			{Provider: "anedot", Status: donorsync.Dead, Count: 1},
			{Provider: "anedot", Status: donorsync.Processed, Count: 2},
		},
	}
	if diff := cmp.Diff(want, r.Counts()); diff != "" {
		t.Errorf("after 12 hours (-want +got):\n%s", diff)
	}

	// 24 hours and a half later, the first requests have left the window.
	c.Add(12*time.Hour + 30*time.Minute)
	want.Since, want.Requests = c.Now().Add(-24*time.Hour), later
	if diff := cmp.Diff(want, r.Counts()); diff != "" {
		t.Errorf("after 24 hours and a half (-want +got):\n%s", diff)
	}
	c.Add(12 * time.Hour)
	if got := r.Counts(); len(got.Requests) != 0 || len(got.Applied) != 0 {
		t.Errorf("after 36 hours and a half: %+v", got)
	}
	// A part of the ring used again holds only its new counts.
	req("actblue", 200, donorsync.Outcome(donorsync.Processed), "")
	if got := r.Counts().Requests; len(got) != 1 || got[0].Count != 1 {
		t.Errorf("after a turn of the ring: %+v", got)
	}
}

func TestRecentMemoryIsBounded(t *testing.T) {
	c := &clock{now: start}
	r := &admin.Recent{Now: c.Now}
	for i := range 1000 {
		r.Request(context.Background(), donorsync.RequestEvent{Provider: fmt.Sprint("p", i), Status: 200, Outcome: "processed"})
		r.Applied(context.Background(), donorsync.ApplyEvent{Provider: fmt.Sprint("p", i), Status: donorsync.Processed})
	}
	got := r.Counts()
	if len(got.Requests) != 257 || len(got.Applied) != 257 {
		t.Fatalf("%d request counts and %d applied, want 256 and one for the others", len(got.Requests), len(got.Applied))
	}
	total := 0
	for _, rc := range got.Requests {
		total += rc.Count
		if rc.Provider == admin.Other && rc.Count != 1000-256 {
			t.Errorf("the others: %d", rc.Count)
		}
	}
	if total != 1000 {
		t.Errorf("%d requests counted, want 1000", total)
	}
}

func TestRecentIsSafeForConcurrentUse(t *testing.T) {
	r := &admin.Recent{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				r.Request(context.Background(), donorsync.RequestEvent{Provider: "actblue", Status: 200, Outcome: "processed"})
				r.Applied(context.Background(), donorsync.ApplyEvent{Provider: "actblue", Status: donorsync.Processed})
				r.Counts()
			}
		})
	}
	wg.Wait()
	if got := r.Counts(); got.Requests[0].Count != 8000 || got.Applied[0].Count != 8000 {
		t.Errorf("%+v, want 8000 of each", got)
	}
	var nilRecent *admin.Recent
	nilRecent.Request(context.Background(), donorsync.RequestEvent{})
	nilRecent.Applied(context.Background(), donorsync.ApplyEvent{})
	if got := nilRecent.Counts(); got.Requests != nil {
		t.Errorf("a nil Recent counted %+v", got)
	}
}

// countingObserver counts what it is told.
type countingObserver struct{ requests, applied int }

func (o *countingObserver) Request(context.Context, donorsync.RequestEvent) { o.requests++ }
func (o *countingObserver) Applied(context.Context, donorsync.ApplyEvent)   { o.applied++ }

func TestTee(t *testing.T) {
	a, b := &countingObserver{}, &countingObserver{}
	var nilRecent *admin.Recent
	o := admin.Tee(a, nil, nilRecent, b)
	o.Request(context.Background(), donorsync.RequestEvent{})
	o.Applied(context.Background(), donorsync.ApplyEvent{})
	o.Applied(context.Background(), donorsync.ApplyEvent{})
	if a.requests != 1 || b.requests != 1 || a.applied != 2 || b.applied != 2 {
		t.Errorf("told a %+v, b %+v", a, b)
	}
	if got := admin.Tee(nil, a); got != donorsync.Observer(a) {
		t.Errorf("Tee of one is %T, want the one", got)
	}
	if got := admin.Tee(); got != nil {
		t.Errorf("Tee of none is %T, want nil", got)
	}
	if got := admin.Tee(nil, nilRecent); got != nil {
		t.Errorf("Tee of nils is %T, want nil", got)
	}
}
