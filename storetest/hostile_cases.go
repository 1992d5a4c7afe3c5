package storetest

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actionnetwork"
	"github.com/donorsync/donorsync/anedot"
	"github.com/shopspring/decimal"
)

// A hostileCase is a request as an attacker, a broken sender or an odd
// donor makes it, and what must come of it: the answer, and the journal
// and records it leaves.
type hostileCase struct {
	name     string
	provider string
	// bodies are sent in order, each answered with status.
	bodies func() [][]byte
	// edit changes each request before it is sent; nil sends it as the
	// platform would.
	edit func(r *http.Request)
	// handler changes the Handler's settings, when not nil.
	handler func(h *donorsync.Handler)
	status  int
	// want is the status of the last delivery journaled; "" means that
	// nothing may be journaled.
	want donorsync.DeliveryStatus
	// errHas are words the delivery's error must hold: the field and the
	// rule it broke.
	errHas []string
	// check looks at the records, when not nil.
	check func(t *testing.T, st *state)
}

func one(b []byte) func() [][]byte { return func() [][]byte { return [][]byte{b} } }

// abBody is an ActBlue contribution of one line item, with each
// placeholder of the template given as raw JSON by kv (placeholder,
// value, ...), and the others as in a plain delivery.
func abBody(kv ...string) []byte {
	const template = `{"donor":{"firstname":$first,"lastname":"Lopez","email":$email,"phone":$phone},` +
		`"contribution":{"createdAt":"2021-11-02T09:15:00","orderNumber":"AB1","status":"approved"},` +
		`"lineitems":[{"sequence":0,"entityId":"12345",$amount,"paidAt":$paid,"lineitemId":$id}]}`
	return fillTemplate(template, append([]string{
		"$first", `"Ana"`, "$email", `"ana@example.org"`, "$phone", `null`,
		"$amount", `"amount":"25.00"`, "$paid", `"2021-11-02T09:15:01"`, "$id", `"31000001"`,
	}, kv...)...)
}

// anBody is an Action Network donation, placeholders as for abBody.
func anBody(kv ...string) []byte {
	const template = `[{"osdi:donation":{"identifiers":["action_network:d91b4b2e-ae0e-4cd3-9ed7-d0ec501b0bc3"],` +
		`"created_date":"2018-11-13T09:00:00Z","modified_date":"2018-11-13T09:00:00Z","currency":$currency,"amount":$amount,` +
		`"person":{"family_name":"Smith","given_name":"John","email_addresses":[{"address":"jsmith@example.org","primary":true}]}},` +
		`"idempotency_key":$key}]`
	return fillTemplate(template, append([]string{
		"$currency", `"usd"`, "$amount", `"100.00"`, "$key", `"2fa8b7c1d9e04b7a9c3e5f6a7b8c9d0e"`,
	}, kv...)...)
}

// adBody is an Anedot completed donation, placeholders as for abBody.
func adBody(kv ...string) []byte {
	const template = `{"event":"donation_completed","payload":{"submission_id":"f42e7e4f-c93d-4956-a5a2-efab4eef4558",` +
		`"donation":{"id":$id},"event_amount":$amount,"amount_in_dollars":$amount,"frequency":"once",` +
		`"created_at":$created,"updated_at":$created,"email":"susan.anthony@example.com","first_name":"Susan","last_name":"Anthony"}}`
	return fillTemplate(template, append([]string{
		"$id", `"d467208a8376024eacd71"`, "$amount", `"25.00"`, "$created", `"2020-12-11 22:06:25 UTC"`,
	}, kv...)...)
}

// fillTemplate replaces each placeholder by its value, the last value
// given for a placeholder winning.
func fillTemplate(template string, kv ...string) []byte {
	values := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		values[kv[i]] = kv[i+1]
	}
	pairs := make([]string, 0, 2*len(values))
	for k, v := range values {
		pairs = append(pairs, k, v)
	}
	return []byte(strings.NewReplacer(pairs...).Replace(template))
}

const mib = 1 << 20

// hostileCases holds each reproduced attack or oddity and its neighbours.
func hostileCases() []hostileCase {
	var cases []hostileCase
	cases = append(cases, costCases()...)
	cases = append(cases, moneyCases()...)
	cases = append(cases, idCases()...)
	cases = append(cases, boundCases()...)
	cases = append(cases, authCases()...)
	return cases
}

// costCases are bodies built to cost time and memory: each is refused by
// the decoding budgets, quarantined and answered 200.
func costCases() []hostileCase {
	return []hostileCase{
		{name: "an-million-empty-objects", provider: actionnetwork.Provider,
			bodies: func() [][]byte { return [][]byte{fill("[", "{}", ",", "]", mib-1)} },
			status: 200, want: donorsync.Quarantined},
		{name: "ab-million-empty-line-items", provider: actblue.Provider,
			bodies: func() [][]byte { return [][]byte{fill(`{"lineitems":[`, "{}", ",", "]}", mib-1)} },
			status: 200, want: donorsync.Quarantined, errHas: []string{"lineitems"}},
		{name: "ab-amount-of-900k-digits", provider: actblue.Provider,
			bodies: func() [][]byte { return [][]byte{abBody("$amount", `"amount":"`+strings.Repeat("9", 900_000)+`"`)} },
			status: 200, want: donorsync.Quarantined, errHas: []string{"amount"}},
		{name: "ab-amount-number-of-900k-digits", provider: actblue.Provider,
			bodies: func() [][]byte { return [][]byte{abBody("$amount", `"amount":`+strings.Repeat("9", 900_000))} },
			status: 200, want: donorsync.Quarantined, errHas: []string{"amount"}},
		{name: "ab-deep-nesting", provider: actblue.Provider,
			bodies: func() [][]byte {
				return [][]byte{abBody("$phone", strings.Repeat(`{"a":`, 100_000)+"1"+strings.Repeat("}", 100_000))}
			},
			status: 200, want: donorsync.Quarantined},
		{name: "ab-refcodes-copied-to-1000-line-items", provider: actblue.Provider,
			bodies: func() [][]byte { return [][]byte{abCopies(1000, 999)} },
			status: 200, want: donorsync.Quarantined, errHas: []string{"lineitems", "copied"}},
		{name: "ab-refcodes-copied-within-the-budget", provider: actblue.Provider,
			bodies: func() [][]byte { return [][]byte{abCopies(20, 400)} },
			status: 200, want: donorsync.Processed},
		{name: "ad-many-keys", provider: anedot.Provider,
			bodies: func() [][]byte { return [][]byte{manyKeys(`{"event":"donation_completed","payload":{`, "}}", mib-1)} },
			status: 200, want: donorsync.Quarantined},
	}
}

// moneyCases are amounts and currencies that must be stored exactly as
// meant, or not at all.
func moneyCases() []hostileCase {
	amount := func(v string) func() [][]byte { return one(abBody("$amount", `"amount":`+v)) }
	return []hostileCase{
		{name: "ab-comma-as-decimal-point", provider: actblue.Provider, bodies: amount(`"12,50"`),
			status: 200, want: donorsync.Quarantined, errHas: []string{"amount"}},
		{name: "ab-commas-everywhere", provider: actblue.Provider, bodies: amount(`"1,2,3,4.5"`),
			status: 200, want: donorsync.Quarantined, errHas: []string{"amount"}},
		{name: "ab-decimal-comma-after-zero", provider: actblue.Provider, bodies: amount(`"0,123"`),
			status: 200, want: donorsync.Quarantined, errHas: []string{"amount"}, check: noDonation},
		{name: "ab-thousands-separator", provider: actblue.Provider, bodies: amount(`"1,234.50"`),
			status: 200, want: donorsync.Processed, check: amountIs("1234.50")},
		{name: "ab-amount-kept-exact", provider: actblue.Provider, bodies: amount(`"25.775"`),
			status: 200, want: donorsync.Processed, check: amountIs("25.775")},
		{name: "ab-zero-amount", provider: actblue.Provider, bodies: amount(`"0.00"`),
			status: 200, want: donorsync.Quarantined, errHas: []string{"amount"}, check: noDonation},
		{name: "ab-negative-amount", provider: actblue.Provider, bodies: amount(`"-100"`),
			status: 200, want: donorsync.Quarantined, errHas: []string{"amount"}, check: noDonation},
		{name: "an-negative-amount-in-bitcoin", provider: actionnetwork.Provider,
			bodies: one(anBody("$amount", `"-100"`, "$currency", `"BTC"`)),
			status: 200, want: donorsync.Quarantined, check: noDonation},
		{name: "an-unknown-currency", provider: actionnetwork.Provider, bodies: one(anBody("$currency", `"BTC"`)),
			status: 200, want: donorsync.Quarantined, errHas: []string{"currency"}, check: noDonation},
		{name: "an-currency-lower-case", provider: actionnetwork.Provider, bodies: one(anBody("$currency", `"eur"`)),
			status: 200, want: donorsync.Processed, check: amountIs("100.00")},
		{name: "ad-zero-amount", provider: anedot.Provider, bodies: one(adBody("$amount", `"0.00"`)),
			status: 200, want: donorsync.Quarantined, check: noDonation},
	}
}

// idCases are keys and ids spelt so as to alias another, or to differ
// from how another reader sees them.
func idCases() []hostileCase {
	id := func(v string) func() [][]byte { return one(abBody("$id", v)) }
	return []hostileCase{
		{name: "ab-key-of-another-case-ignored", provider: actblue.Provider,
			bodies: one(abBody("$amount", `"amount":"50.0","AMOUNT":"7777.00"`)),
			status: 200, want: donorsync.Processed, check: amountIs("50.0")},
		{name: "ab-duplicate-key", provider: actblue.Provider,
			bodies: one(abBody("$amount", `"amount":"50.0","amount":"7777.00"`)),
			status: 200, want: donorsync.Quarantined, errHas: []string{"amount"}, check: noDonation},
		{name: "ab-integer-id", provider: actblue.Provider, bodies: id(`99999999`),
			status: 200, want: donorsync.Processed, check: donationIDs("99999999")},
		{name: "ab-integer-id-as-string-same-gift", provider: actblue.Provider,
			bodies: func() [][]byte { return [][]byte{abBody("$id", `99999999`), abBody("$id", `"99999999"`)} },
			status: 200, want: donorsync.Duplicate, check: donationIDs("99999999")},
		{name: "ab-fractional-id", provider: actblue.Provider, bodies: id(`99999999.0`),
			status: 200, want: donorsync.Quarantined, errHas: []string{"lineitemId"}, check: noDonation},
		{name: "ab-exponent-id", provider: actblue.Provider, bodies: id(`1.5e3`),
			status: 200, want: donorsync.Quarantined, errHas: []string{"lineitemId"}, check: noDonation},
		{name: "ab-id-with-nul", provider: actblue.Provider, bodies: id(`"7400\u00000004"`),
			status: 200, want: donorsync.Quarantined, errHas: []string{"lineitemId"}, check: noDonation},
		{name: "ab-id-invalid-utf8", provider: actblue.Provider, bodies: id("\"7400\xff0004\""),
			status: 200, want: donorsync.Quarantined, errHas: []string{"lineitemId"}, check: noDonation},
		{name: "ab-email-with-nul", provider: actblue.Provider, bodies: one(abBody("$email", `"ana\u0000@example.org"`)),
			status: 200, want: donorsync.Quarantined, errHas: []string{"donor.email"}, check: noDonation},
		{name: "ab-name-invalid-utf8", provider: actblue.Provider, bodies: one(abBody("$first", "\"An\xffa\"")),
			status: 200, want: donorsync.Quarantined, errHas: []string{"donor.firstname"}, check: noDonation},
		{name: "ab-placeholder-phone-matches-nobody", provider: actblue.Provider,
			bodies: func() [][]byte {
				return [][]byte{
					abBody("$email", "null", "$phone", `"555-555-5555"`, "$first", `"Ana"`, "$id", `"1"`),
					abBody("$email", "null", "$phone", `"555-555-5555"`, "$first", `"Bea"`, "$id", `"2"`),
					abBody("$email", "null", "$phone", `"(000) 000-0000"`, "$first", `"Cy"`, "$id", `"3"`),
					abBody("$email", "null", "$phone", `"(000) 000-0000"`, "$first", `"Di"`, "$id", `"4"`),
				}
			},
			status: 200, want: donorsync.Processed, check: contactCount(4)},
	}
}

// boundCases are values past what a store's indexes and encodings hold:
// each is quarantined at once, never retried and never answered 503.
func boundCases() []hostileCase {
	long := strings.Repeat("7", 3000)
	return []hostileCase{
		{name: "an-idempotency-key-of-3000-bytes", provider: actionnetwork.Provider,
			bodies: func() [][]byte {
				b := anBody("$key", `"`+strings.Repeat("k", 3000)+`"`)
				return [][]byte{b, b}
			},
			status: 200, want: donorsync.Duplicate, check: amountIs("100.00")},
		{name: "ab-line-item-id-of-3000-bytes", provider: actblue.Provider, bodies: one(abBody("$id", `"`+long+`"`)),
			status: 200, want: donorsync.Quarantined, check: noDonation},
		{name: "ab-email-of-3000-bytes", provider: actblue.Provider,
			bodies: one(abBody("$email", `"`+strings.Repeat("a", 3000)+`@example.org"`)),
			status: 200, want: donorsync.Quarantined, check: noDonation},
		{name: "ab-paid-in-year-10000", provider: actblue.Provider, bodies: one(abBody("$paid", `"9999-12-31T23:59:59-04:00"`)),
			status: 200, want: donorsync.Quarantined, check: noDonation},
		{name: "ab-paid-at-the-end-of-9999", provider: actblue.Provider, bodies: one(abBody("$paid", `"9999-12-31T19:59:59-04:00"`)),
			status: 200, want: donorsync.Processed, check: amountIs("25.00")},
		{name: "ad-created-in-year-10000", provider: anedot.Provider, bodies: one(adBody("$created", `"9999-12-31 23:59:59 -0400"`)),
			status: 200, want: donorsync.Quarantined, check: noDonation},
	}
}

// authCases are requests without the right credentials, or past the
// limits: answered before anything is journaled.
func authCases() []hostileCase {
	return []hostileCase{
		{name: "ab-no-credentials", provider: actblue.Provider, bodies: one(abBody()),
			edit: func(r *http.Request) { r.Header.Del("Authorization") }, status: 401},
		{name: "ab-wrong-password", provider: actblue.Provider, bodies: one(abBody()),
			edit: func(r *http.Request) { r.SetBasicAuth(wireUser, wireSecret+"x") }, status: 401},
		{name: "an-wrong-token", provider: actionnetwork.Provider, bodies: one(anBody()),
			edit: func(r *http.Request) { r.URL.Path = strings.TrimSuffix(r.URL.Path, wireSecret) + "x" + wireSecret }, status: 401},
		{name: "ad-wrong-signature", provider: anedot.Provider, bodies: one(adBody()),
			edit: func(r *http.Request) { r.Header.Set(anedot.SignatureHeader, anedot.Sign("other", adBody())) }, status: 401},
		{name: "ab-slow-upload", provider: actblue.Provider, bodies: one(abBody()), edit: slowly,
			handler: func(h *donorsync.Handler) { h.Deadline = donorsync.DefaultDeadline },
			status:  200, want: donorsync.Processed, check: amountIs("25.00")},
		{name: "ab-bodies-in-flight-past-the-cap", provider: actblue.Provider, bodies: one(abBody()),
			handler: func(h *donorsync.Handler) { h.MaxBytesInFlight = 100 }, status: 503},
		{name: "ab-body-past-the-limit", provider: actblue.Provider,
			bodies: func() [][]byte { return [][]byte{fill(`{"lineitems":[`, "{}", ",", "]}", mib+10)} }, status: 413},
	}
}

// slowly makes a request's body arrive in six pieces over 0.6 s, longer
// than a Handler's default deadline.
func slowly(r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		panic(err)
	}
	r.Body = &slowBody{data: data, piece: len(data)/6 + 1, pause: func() { time.Sleep(100 * time.Millisecond) }}
	r.ContentLength = int64(len(data))
}

// manyKeys is an object of distinct keys up to n bytes.
func manyKeys(prefix, suffix string, n int) []byte {
	b := []byte(prefix)
	for i := 0; len(b)+len(suffix)+16 < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, "k"+strconv.Itoa(i))
		b = append(b, ":1"...)
	}
	return append(b, suffix...)
}

// amountIs checks that the tenant has one donation, of amount exactly as
// written (digits and scale).
func amountIs(want string) func(*testing.T, *state) {
	return func(t *testing.T, st *state) {
		t.Helper()
		if len(st.Donations) != 1 || st.Donations[0].Amount.String() != decimal.RequireFromString(want).String() {
			t.Fatalf("donations %v; want one of %s", amounts(st), want)
		}
	}
}

// donationIDs checks the external ids of the tenant's donations.
func donationIDs(want ...string) func(*testing.T, *state) {
	return func(t *testing.T, st *state) {
		t.Helper()
		var got []string
		for _, d := range st.Donations {
			got = append(got, d.ExternalID)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("donations with ids %q; want %q", got, want)
		}
	}
}

func noDonation(t *testing.T, st *state) {
	t.Helper()
	if len(st.Donations)+len(st.Contacts)+len(st.Commitments) != 0 {
		t.Fatalf("%d donations, %d contacts, %d commitments stored; want none", len(st.Donations), len(st.Contacts), len(st.Commitments))
	}
}

func contactCount(n int) func(*testing.T, *state) {
	return func(t *testing.T, st *state) {
		t.Helper()
		if len(st.Contacts) != n {
			t.Fatalf("%d contacts; want %d: %v", len(st.Contacts), n, st.Contacts)
		}
	}
}

func amounts(st *state) []string {
	var out []string
	for _, d := range st.Donations {
		out = append(out, d.ExternalID+":"+d.Amount.String())
	}
	return out
}

// abCopies is an ActBlue contribution of items line items, with fields
// refcodes and as many custom fields, each copied to every line item.
func abCopies(items, fields int) []byte {
	var refcodes, custom, lineitems []string
	for i := range fields {
		refcodes = append(refcodes, fmt.Sprintf(`"r%d":"x"`, i))
		custom = append(custom, fmt.Sprintf(`{"label":"c%d","answer":"x"}`, i))
	}
	for i := range items {
		lineitems = append(lineitems, fmt.Sprintf(`{"lineitemId":"%d","amount":"1","paidAt":"2021-11-02T09:15:01"}`, i+1))
	}
	return []byte(`{"donor":{"firstname":"Ana","lastname":"Lopez","email":"ana@example.org"},` +
		`"contribution":{"createdAt":"2021-11-02T09:15:00","orderNumber":"AB1","status":"approved","refcodes":{` +
		strings.Join(refcodes, ",") + `},"customFields":[` + strings.Join(custom, ",") + `]},"lineitems":[` + strings.Join(lineitems, ",") + `]}`)
}
