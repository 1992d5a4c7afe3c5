package admin_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/admin"
	"github.com/donorsync/donorsync/observe"
	"github.com/google/go-cmp/cmp"
)

func TestRecentCountsOverItsWindow(t *testing.T) {
	c := &clock{now: start}
	r := &admin.Recent{Now: c.Now}
	ctx := context.Background()
	req := func(provider string, status int, o observe.Outcome, f observe.AuthFailure) {
		r.Request(ctx, observe.Request{Provider: provider, Tenant: "t", Status: status, Outcome: o, AuthFailure: f})
	}
	req("actblue", 200, observe.Outcome(donorsync.Processed), "")
	req("actblue", 401, observe.Unauthorized, observe.WrongCredential)
	req("actblue", 401, observe.Unauthorized, observe.WrongCredential)
	req("actblue", 401, observe.Unauthorized, observe.Malformed)
	req("actblue", 401, observe.Unauthorized, observe.UnknownTenant)
	req("actblue", 401, observe.Unauthorized, observe.Unspecified)
	c.Add(12 * time.Hour)
	req("anedot", 413, observe.TooLarge, "")
	req("anedot", 503, observe.Unavailable, "")
	req("anedot", 503, observe.Busy, "")
	req("anedot", 405, observe.WrongMethod, "")
	req("anedot", 400, observe.Unreadable, "")
	r.Applied(ctx, observe.Apply{Provider: "anedot", Outcome: observe.Dead})
	r.Applied(ctx, observe.Apply{Provider: "anedot", Outcome: observe.Processed})
	r.Applied(ctx, observe.Apply{Provider: "anedot", Outcome: observe.Processed})

	later := []admin.RequestCount{
		{Provider: "anedot", Status: 400, Outcome: observe.Unreadable, Count: 1},
		{Provider: "anedot", Status: 405, Outcome: observe.WrongMethod, Count: 1},
		{Provider: "anedot", Status: 413, Outcome: observe.TooLarge, Count: 1},
		{Provider: "anedot", Status: 503, Outcome: observe.Busy, Count: 1},
		{Provider: "anedot", Status: 503, Outcome: observe.Unavailable, Count: 1},
	}
	want := admin.Counts{
		Since: start,
		Requests: append([]admin.RequestCount{
			{Provider: "actblue", Status: 200, Outcome: "processed", Count: 1},
			{Provider: "actblue", Status: 401, Outcome: observe.Unauthorized, AuthFailure: observe.Malformed, Count: 1},
			{Provider: "actblue", Status: 401, Outcome: observe.Unauthorized, AuthFailure: observe.UnknownTenant, Count: 1},
			{Provider: "actblue", Status: 401, Outcome: observe.Unauthorized, AuthFailure: observe.Unspecified, Count: 1},
			{Provider: "actblue", Status: 401, Outcome: observe.Unauthorized, AuthFailure: observe.WrongCredential, Count: 2},
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
	req("actblue", 200, observe.Outcome(donorsync.Processed), "")
	if got := r.Counts().Requests; len(got) != 1 || got[0].Count != 1 {
		t.Errorf("after a turn of the ring: %+v", got)
	}
}

func TestRecentMemoryIsBounded(t *testing.T) {
	c := &clock{now: start}
	r := &admin.Recent{Now: c.Now}
	for i := range 1000 {
		r.Request(context.Background(), observe.Request{Provider: fmt.Sprint("p", i), Status: 200, Outcome: "processed"})
		r.Applied(context.Background(), observe.Apply{Provider: fmt.Sprint("p", i), Outcome: observe.Processed})
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
				r.Request(context.Background(), observe.Request{Provider: "actblue", Status: 200, Outcome: "processed"})
				r.Applied(context.Background(), observe.Apply{Provider: "actblue", Outcome: observe.Processed})
				r.Counts()
			}
		})
	}
	wg.Wait()
	if got := r.Counts(); got.Requests[0].Count != 8000 || got.Applied[0].Count != 8000 {
		t.Errorf("%+v, want 8000 of each", got)
	}
	var nilRecent *admin.Recent
	nilRecent.Request(context.Background(), observe.Request{})
	nilRecent.Applied(context.Background(), observe.Apply{})
	if got := nilRecent.Counts(); got.Requests != nil {
		t.Errorf("a nil Recent counted %+v", got)
	}
}

// countingObserver counts what it is told.
type countingObserver struct{ requests, applied int }

func (o *countingObserver) Request(context.Context, observe.Request) { o.requests++ }
func (o *countingObserver) Applied(context.Context, observe.Apply)   { o.applied++ }

func TestTee(t *testing.T) {
	a, b := &countingObserver{}, &countingObserver{}
	var nilRecent *admin.Recent
	o := admin.Tee(a, nil, nilRecent, b)
	o.Request(context.Background(), observe.Request{})
	o.Applied(context.Background(), observe.Apply{})
	o.Applied(context.Background(), observe.Apply{})
	if a.requests != 1 || b.requests != 1 || a.applied != 2 || b.applied != 2 {
		t.Errorf("told a %+v, b %+v", a, b)
	}
	if got := admin.Tee(nil, a); got != observe.Observer(a) {
		t.Errorf("Tee of one is %T, want the one", got)
	}
	if got := admin.Tee(); got != nil {
		t.Errorf("Tee of none is %T, want nil", got)
	}
	if got := admin.Tee(nil, nilRecent); got != nil {
		t.Errorf("Tee of nils is %T, want nil", got)
	}
}
