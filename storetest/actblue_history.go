package storetest

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actblue/reports"
	"github.com/donorsync/donorsync/actblue/reports/reportstest"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/google/go-cmp/cmp"
)

// An abDelivery is a delivery of ActBlue's: a webhook's JSON body with
// the Kind it was received under (the webhook type of its URL, or ""), or
// a row of a report as actblue.ReportDelivery makes it a delivery.
type abDelivery struct {
	name string
	kind string
	body []byte
}

// abHistory is deliveries of ActBlue's about the same gifts, as webhooks
// and as rows of the paid, refunded and cancelled-recurring reports.
type abHistory []abDelivery

// abSource decodes webhooks and report rows alike; a zero Source refuses
// only HTTP requests.
func abSource() donorsync.Source { return &actblue.Source{} }

// pick returns the deliveries of h named, in that order.
func (h abHistory) pick(names ...string) abHistory {
	out := make(abHistory, 0, len(names))
	for _, name := range names {
		i := slices.IndexFunc(h, func(d abDelivery) bool { return d.name == name })
		if i < 0 {
			panic("storetest: no delivery named " + name)
		}
		out = append(out, h[i])
	}
	return out
}

func (h abHistory) delivery(tenant string, i int) *donorsync.Delivery {
	return &donorsync.Delivery{Tenant: tenant, Provider: actblue.Provider, Kind: h[i].kind, Body: h[i].body}
}

// receiveOne receives the i-th delivery of h for tenant, inline: it must
// be applied, or be a duplicate of one that was.
func (h abHistory) receiveOne(t *testing.T, g *donorsync.Ingester, tenant string, i int) {
	t.Helper()
	d := h.delivery(tenant, i)
	if err := g.Receive(ctx(t), abSource(), d); err != nil {
		t.Fatalf("Receive %s: %v", h[i].name, err)
	}
	if d.Status != donorsync.Processed && d.Status != donorsync.Duplicate {
		t.Fatalf("%s: status %s (%s); want processed, or a duplicate", h[i].name, d.Status, d.Error)
	}
}

// unique returns how many deliveries of h are not repeats of another.
func (h abHistory) unique() int {
	seen := map[string]bool{}
	for _, d := range h {
		seen[d.name] = true
	}
	return len(seen)
}

// webhooksAndReports returns the deliveries, webhooks and report rows, of
// two donors' gifts:
//
//   - Peter gives 50.00 once (gift, paid), and is refunded (refund,
//     refunded). His webhooks name him in upper case with his phone as
//     digits; the reports in lower case, his email in upper case and his
//     phone with punctuation; the refunded report has no address, phone
//     or refcode. The paid report's refcode is the webhook's email
//     refcode, not its refcode, as in the actblue package's test data.
//   - Samir gives 15.00 a month: two charges (charge-1, charge-2, and the
//     rows paid-1, paid-2 of the same line items), then cancels
//     (cancellation, whose webhook names the first line item again, and
//     the row cancelled).
func webhooksAndReports() abHistory {
	return slices.Concat(peterHistory(), samirHistory())
}

func peterHistory() abHistory {
	donor := map[string]any{
		"firstname": "PETER", "lastname": "GIBBONS", "email": "Peter.Gibbons@Initech.example", "phone": "5897427087",
		"addr1": "4120 Freidrich Lane", "city": "Austin", "state": "Texas", "zip": "787441234", "country": "United States",
		"employerData": map[string]any{"employer": "Initech", "occupation": "Software Engineer"},
	}
	order := map[string]any{
		"createdAt": "2019-06-07T15:49:32-04:00", "orderNumber": "AB1234567", "contributionForm": "xyz-form",
		"refcodes": map[string]any{"refcode": "website", "refcode_email": "june-blast"}, "recurringPeriod": "once", "recurringDuration": 0, "status": "approved",
	}
	item := map[string]any{
		"sequence": 0, "entityId": 99999, "fecId": "C00999999", "committeeName": "Peter Gibbons for Congress",
		"amount": "50.0", "amountLessAbFees": "47.96", "paidAt": "2019-06-07T15:49:33-04:00", "paymentId": 55501234, "lineitemId": 99999999,
	}
	row := map[string]string{
		"Receipt ID": "AB1234567", "Date": "2019-06-07 15:49:33", "Amount": "50.00", "Lineitem ID": "99999999",
		"Recipient": "Peter Gibbons for Congress", "Recipient ID": "99999",
		"Donor First Name": "peter", "Donor Last Name": "gibbons", "Donor Email": "PETER.GIBBONS@INITECH.EXAMPLE",
	}
	paid := with(row, map[string]string{
		"Donor ID": "D1", "Donor Phone": "(589) 742-7087", "Donor Addr1": "4120 Freidrich Lane", "Donor City": "Austin",
		"Donor State": "TX", "Donor ZIP": "78744-1234", "Donor Country": "United States",
		"Donor Occupation": "Software Engineer", "Donor Employer": "Initech",
		"Fee": "2.04", "Payment ID": "55501234", "Reference Code": "june-blast", "Card Type": "visa", "Card Last Four": "4242",
	})
	refunded := with(row, map[string]string{"Refund ID": "R77", "Refund Date": "2019-06-20 10:00:00", "Card Expiration": "12/29"})
	return abHistory{
		{"gift", "", abWebhook(donor, order, item)},
		abRow("paid", reports.Paid, reportstest.PaidHeader, paid),
		{"refund", string(actblue.KindRefund), abWebhook(donor, order, with(item, map[string]any{"refundedAt": "2019-06-20T10:00:00-04:00"}))},
		abRow("refunded", reports.Refunded, refundedHeader, refunded),
	}
}

// refundedHeader is a header of the refunded report without the donor's
// address, phone and employment.
var refundedHeader = []string{
	"Lineitem ID", "Receipt ID", "Date", "Amount", "Refund ID", "Refund Date",
	"Donor First Name", "Donor Last Name", "Donor Email", "Recipient", "Recipient ID", "Card Expiration",
}

func samirHistory() abHistory {
	donor := map[string]any{
		"firstname": "Samir", "lastname": "Nagheenanajar", "email": "samir@example.org", "phone": "5105016227",
		"addr1": "9 Penny Ln", "city": "Austin", "state": "TX", "zip": "78701", "country": "US",
		"employerData": map[string]any{"employer": nil, "occupation": "Not employed"},
	}
	order := map[string]any{
		"createdAt": "2020-01-15T12:00:00-05:00", "orderNumber": "AB3000001", "contributionForm": "monthly-form",
		"refcodes": map[string]any{"refcode": "sustainer"}, "recurringPeriod": "monthly", "recurringDuration": "infinite",
		"isRecurring": true, "status": "approved",
	}
	charge := func(n int, paid string) map[string]any {
		return map[string]any{
			"sequence": n - 1, "entityId": 99999, "fecId": "C00999999", "committeeName": "Peter Gibbons for Congress",
			"amount": "15.00", "recurringAmount": "15.00", "paidAt": paid, "paymentId": 55500000 + n, "lineitemId": 45000000 + n,
		}
	}
	paid := func(n int, date string) map[string]string {
		return map[string]string{
			"Receipt ID": "AB3000001", "Date": date, "Amount": "15", "Lineitem ID": fmt.Sprint(45000000 + n),
			"Recipient": "Peter Gibbons for Congress", "Recipient ID": "99999", "Donor ID": "D2",
			"Donor First Name": "SAMIR", "Donor Last Name": "NAGHEENANAJAR", "Donor Email": "Samir@Example.ORG", "Donor Phone": "510-501-6227",
			"Donor Addr1": "9 Penny Ln", "Donor City": "Austin", "Donor State": "tx", "Donor ZIP": "78701", "Donor Country": "US",
			"Donor Occupation": "Not employed", "Fee": "0.60", "Recurrence Number": fmt.Sprint(n), "Recur Weekly": "false",
			"Recurring Type": "monthly", "Payment ID": fmt.Sprint(55500000 + n), "Reference Code": "sustainer",
		}
	}
	cancelled := with(order, map[string]any{"cancelledAt": "2020-03-02T08:30:00-05:00", "recurringType": "monthly", "recurCompleted": 2})
	return abHistory{
		{"charge-1", string(actblue.KindContribution), abWebhook(donor, order, charge(1, "2020-01-15T12:00:05-05:00"))},
		{"charge-2", string(actblue.KindContribution), abWebhook(donor, order, charge(2, "2020-02-15T12:00:05-05:00"))},
		abRow("paid-1", reports.Paid, reportstest.PaidHeader, paid(1, "2020-01-15 12:00:05")),
		abRow("paid-2", reports.Paid, reportstest.PaidHeader, paid(2, "2020-02-15 12:00:05")),
		{"cancellation", string(actblue.KindCancellation), abWebhook(donor, cancelled, charge(1, "2020-01-15T12:00:05-05:00"))},
		abRow("cancelled", reports.CancelledRecurring, reportstest.CancelledHeader, map[string]string{
			"Receipt ID": "AB3000001", "Recurrence Amount": "15.00", "Total Amount": "30.00", "Recurrence Frequency": "Monthly",
			"Initial Contribution Date": "2020-01-15 12:00:00", "Cancelled On": "2020-03-02 08:30:00",
			"Donor First Name": "samir", "Donor Last Name": "nagheenanajar", "Donor Email": "SAMIR@EXAMPLE.ORG", "Donor Phone": "+1 (510) 501-6227",
		}),
	}
}

// abWebhook returns the body of a webhook about the line items of one
// contribution.
func abWebhook(donor, contribution map[string]any, lineitems ...map[string]any) []byte {
	data, err := json.Marshal(map[string]any{"donor": donor, "contribution": contribution, "lineitems": lineitems})
	if err != nil {
		panic(err)
	}
	return data
}

// abRow returns the delivery actblue.ReportDelivery makes of a row of a
// report of type t with header, its values given by column.
func abRow(name string, t reports.Type, header []string, values map[string]string) abDelivery {
	record := make([]string, len(header))
	for col, v := range values {
		i := slices.Index(header, col)
		if i < 0 {
			panic("storetest: no column " + col + " in the header of a " + string(t) + " report")
		}
		record[i] = v
	}
	for row, err := range reports.Read(strings.NewReader(reportstest.CSV(header, record))) {
		if err != nil {
			panic(err)
		}
		d, err := actblue.ReportDelivery("", t, &row)
		if err != nil {
			panic(err)
		}
		return abDelivery{name, d.Kind, d.Body}
	}
	panic("storetest: a report without its row")
}

// with returns a copy of m with the entries of more.
func with[V any](m, more map[string]V) map[string]V {
	out := maps.Clone(m)
	maps.Copy(out, more)
	return out
}

// testWebhooksAndReportsEveryOrder applies every order of each donor's
// webhooks and report rows: Peter's gift and refund, each as webhook and
// row (the refunded row first in some orders, before any paid data); Samir's
// first charge as webhook and row, his second as a row, and his
// cancellation as webhook and row. Every order ends in the state the
// rules give. (The two donors share nothing: the orders of one donor's
// deliveries among the other's are left to the shuffled histories.)
func testWebhooksAndReportsEveryOrder(t *testing.T, s donorsync.Store) {
	h := webhooksAndReports()
	peter := h.pick("gift", "paid", "refund", "refunded")
	sameStateOf(t, s, peter.deliver(t), func(yield func([]int)) { permute(len(peter), yield) }, func(st *state) {
		checkCounts(t, st, 1, 1, 0)
		checkPeter(t, st)
		checkDeliveries(t, st, peter)
	})
	samir := h.pick("charge-1", "paid-1", "paid-2", "cancellation", "cancelled")
	sameStateOf(t, s, samir.deliver(t), func(yield func([]int)) { permute(len(samir), yield) }, func(st *state) {
		checkCounts(t, st, 1, 2, 1)
		checkSamir(t, st)
		checkDeliveries(t, st, samir)
	})
}

// deliver returns receiveOne as sameStateOf calls it.
func (h abHistory) deliver(t *testing.T) func(*donorsync.Ingester, string, int) {
	return func(g *donorsync.Ingester, tenant string, i int) { h.receiveOne(t, g, tenant, i) }
}

// testWebhooksAndReportsShuffled applies both donors' deliveries, with
// repeats (a webhook, a row, a cancellation row, a charge's webhook), in
// shuffled orders.
func testWebhooksAndReportsShuffled(t *testing.T, s donorsync.Store) {
	h := webhooksAndReports()
	h = append(h, h.pick("gift", "paid", "cancelled", "charge-2")...)
	sameStateOf(t, s, h.deliver(t), shuffles(len(h), 20, 11), func(st *state) {
		checkCounts(t, st, 2, 3, 1)
		checkPeter(t, st)
		checkSamir(t, st)
		checkDeliveries(t, st, h)
	})
}

// testWebhooksAndReportsQueued journals the shuffled history in queued
// mode and lets a Worker apply it, in batches of several sizes: the state
// is the one inline mode reaches.
func testWebhooksAndReportsQueued(t *testing.T, s donorsync.Store) {
	h := webhooksAndReports()
	h = append(h, h.pick("gift", "paid", "refunded")...)
	g := newIngester(s)
	inline := newTenant("inline")
	for i := range h {
		h.receiveOne(t, g, inline, i)
	}
	want := snapshot(t, s, inline)
	checkCounts(t, want, 2, 3, 1)
	checkPeter(t, want)
	checkSamir(t, want)
	checkDeliveries(t, want, h)
	r := rand.New(rand.NewPCG(3, 4))
	for _, batch := range []int{1, 4, 100} {
		tenant := newTenant("queued")
		for _, i := range r.Perm(len(h)) {
			d := h.delivery(tenant, i)
			if err := g.Enqueue(ctx(t), abSource(), d); err != nil {
				t.Fatal(err)
			}
			if d.Status != donorsync.Pending && d.Status != donorsync.Duplicate {
				t.Fatalf("enqueued %s: status %s (%s)", h[i].name, d.Status, d.Error)
			}
		}
		w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{abSource()}, Tenant: tenant, Batch: batch}
		n, err := w.Drain(ctx(t))
		if err != nil || n != h.unique() {
			t.Fatalf("Drain = %d, %v; want the %d unique deliveries", n, err, h.unique())
		}
		if diff := cmp.Diff(want, snapshot(t, s, tenant), cmpOpts); diff != "" {
			t.Fatalf("queued mode, batches of %d, ends in another state than inline mode (-inline +queued):\n%s", batch, diff)
		}
		checkFeed(t, s, tenant)
	}
}

// checkCounts checks that a state holds so many contacts, donations and
// commitments, and no duplicate of anything.
func checkCounts(t *testing.T, st *state, contacts, donations, commitments int) {
	t.Helper()
	if len(st.Contacts) != contacts || len(st.Donations) != donations || len(st.Commitments) != commitments {
		t.Fatalf("%d contacts, %d donations, %d commitments; want %d, %d and %d",
			len(st.Contacts), len(st.Donations), len(st.Commitments), contacts, donations, commitments)
	}
	for _, c := range st.Contacts {
		if len(c.Emails) != 1 || len(c.Phones) != 1 || len(c.Sources) != 1 {
			t.Errorf("contact %s: emails %v, phones %v, sources %v; want one of each", label(c), c.Emails, c.Phones, c.Sources)
		}
	}
}

// checkDeliveries checks that the deliveries of h were each applied once,
// and their repeats journaled as duplicates.
func checkDeliveries(t *testing.T, st *state, h abHistory) {
	t.Helper()
	want := map[donorsync.DeliveryStatus]int{donorsync.Processed: h.unique()}
	if dups := len(h) - h.unique(); dups > 0 {
		want[donorsync.Duplicate] = dups
	}
	if !maps.Equal(st.Deliveries, want) {
		t.Errorf("deliveries by status %v, want %v", st.Deliveries, want)
	}
}

// contactOf returns the contact of st whose primary email is email.
func contactOf(t *testing.T, st *state, email string) contact.Contact {
	t.Helper()
	for _, c := range st.Contacts {
		if c.Email == email {
			return c
		}
	}
	t.Fatalf("no contact for %s", email)
	return contact.Contact{}
}

// donationOf returns the donation of st with the external id id.
func donationOf(t *testing.T, st *state, id string) donation.Donation {
	t.Helper()
	for _, d := range st.Donations {
		if d.ExternalID == id {
			return d
		}
	}
	t.Fatalf("no donation %s", id)
	return donation.Donation{}
}

// checkPeter checks Peter's contact, gift and refund: one contact however
// the webhooks and reports write him, the newest address, the gift's
// amounts, and the refund applied once.
func checkPeter(t *testing.T, st *state) {
	t.Helper()
	const email = "peter.gibbons@initech.example"
	c := contactOf(t, st, email)
	wantAddress := contact.Address{Line1: "4120 Freidrich Lane", City: "Austin", State: "TX", PostalCode: "78744-1234", Country: "US"}
	if c.FirstName != "Peter" || c.LastName != "Gibbons" || c.Phone != "+15897427087" || len(c.Phones) != 1 || c.Phones[0].Number != "+15897427087" ||
		c.Address != wantAddress || c.Employer != "Initech" || c.Occupation != "Software Engineer" ||
		!slices.Equal(c.Sources, []contact.Source{{Provider: actblue.Provider}}) {
		t.Errorf("Peter = %s %s, phone %s %v, %+v, %s/%s, sources %v", c.FirstName, c.LastName, c.Phone, c.Phones, c.Address, c.Employer, c.Occupation, c.Sources)
	}
	d := donationOf(t, st, "99999999")
	if d.ContactID != email || d.OrderNumber != "AB1234567" || d.CommitmentID != "" || !d.Amount.Equal(dec("50")) ||
		!d.Net.Decimal.Equal(dec("47.96")) || !d.Fees.Decimal.Equal(dec("2.04")) || !d.PaidAt.Equal(ts("2019-06-07T19:49:33Z")) {
		t.Errorf("gift = %s of %s, order %s, commitment %q, %s net %s fees %s, paid %v", d.ExternalID, d.ContactID, d.OrderNumber, d.CommitmentID, d.Amount, d.Net.Decimal, d.Fees.Decimal, d.PaidAt)
	}
	// The paid row, a second newer than the webhooks, says which refcode
	// the report calls the gift's, although the refunded row, as new and
	// without the column, may come between.
	if d.Refcodes["refcode"] != "june-blast" || d.Refcodes["refcode_email"] != "june-blast" || d.Form != "xyz-form" {
		t.Errorf("gift: refcodes %v, form %q; want the paid row's refcode, the webhook's email refcode and form", d.Refcodes, d.Form)
	}
	if d.Status != donation.Refunded || !d.Refunded.Equal(dec("50")) {
		t.Errorf("gift: status %s, refunded %s; want refunded 50", d.Status, d.Refunded)
	}
	want := []donation.Adjustment{{Provider: actblue.Provider, Key: "99999999:refund", DonationID: "99999999", Kind: donation.Refund, Amount: dec("50"), At: ts("2019-06-20T14:00:00Z")}}
	if diff := cmp.Diff(want, st.Adjustments["99999999"], cmpOpts); diff != "" {
		t.Errorf("the gift's adjustments (-want +got):\n%s", diff)
	}
}

// checkSamir checks Samir's contact, charges and recurring gift: one
// contact however the webhooks and reports write him, a donation per
// charge, and the recurring gift cancelled after two charges.
func checkSamir(t *testing.T, st *state) {
	t.Helper()
	const email = "samir@example.org"
	c := contactOf(t, st, email)
	if c.FirstName != "Samir" || c.LastName != "Nagheenanajar" || c.Phone != "+15105016227" ||
		len(c.Phones) != 1 || c.Phones[0].Number != "+15105016227" || c.Occupation != "Not employed" {
		t.Errorf("Samir = %s %s, phone %s %v, occupation %s", c.FirstName, c.LastName, c.Phone, c.Phones, c.Occupation)
	}
	for id, paid := range map[string]string{"45000001": "2020-01-15T17:00:05Z", "45000002": "2020-02-15T17:00:05Z"} {
		d := donationOf(t, st, id)
		if d.ContactID != email || d.OrderNumber != "AB3000001" || d.CommitmentID != "AB3000001" || d.Status != donation.Completed ||
			!d.Amount.Equal(dec("15")) || !d.Fees.Decimal.Equal(dec("0.60")) || !d.PaidAt.Equal(ts(paid)) || len(st.Adjustments[id]) != 0 {
			t.Errorf("charge %s of %s: order %s, commitment %s, %s %s fees %s, paid %v, adjustments %v",
				id, d.ContactID, d.OrderNumber, d.CommitmentID, d.Status, d.Amount, d.Fees.Decimal, d.PaidAt, st.Adjustments[id])
		}
	}
	cm := st.Commitments[0]
	if cm.ExternalID != "AB3000001" || cm.ContactID != email || cm.Status != donation.Cancelled || cm.Period != "monthly" || !cm.Amount.Equal(dec("15")) ||
		cm.Completed != 2 || !cm.StartedAt.Equal(ts("2020-01-15T17:00:00Z")) || !cm.LastChargedAt.Equal(ts("2020-02-15T17:00:05Z")) ||
		!cm.CancelledAt.Equal(ts("2020-03-02T13:30:00Z")) {
		t.Errorf("recurring gift %s of %s: %s, %s %s, completed %d, started %v, last charged %v, cancelled %v",
			cm.ExternalID, cm.ContactID, cm.Status, cm.Period, cm.Amount, cm.Completed, cm.StartedAt, cm.LastChargedAt, cm.CancelledAt)
	}
}
