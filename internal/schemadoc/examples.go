package schemadoc

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/upgradetest"
	"github.com/shopspring/decimal"
)

// An example is what a query of the page is given, besides the tenant,
// and the answer the records give it.
type example struct {
	args []any
	want func(r records) [][]string
}

// The donor and the period the examples ask about: a donor refunded in
// part, and a period that begins at a refund, and ends at another.
const (
	donor      = "ada@example.com"
	refundFrom = "2019-06-20 14:00"
	refundTo   = "2021-05-03 09:00"
)

// examples are the queries of the page, by title.
var examples = map[string]example{
	"Donations by month":              {want: byMonth},
	"A donor's total, net of refunds": {args: []any{donor}, want: donorTotal},
	"Refunds in a period":             {args: []any{refundFrom, refundTo}, want: refunds},
	"Active monthly donors":           {want: activeMonthly},
	"Donations by refcode":            {want: byRefcode},
}

// records are a tenant's records, as the store gives them.
type records struct {
	contacts    []contact.Contact
	donations   []donation.Donation
	adjustments []donation.Adjustment
	commitments []donation.Commitment
}

func newRecords(r upgradetest.Records, tenant string) records {
	return records{r.Contacts[tenant], r.Donations[tenant], r.Adjustments[tenant], r.Commitments[tenant]}
}

func (r records) contact(id string) contact.Contact {
	i := slices.IndexFunc(r.contacts, func(c contact.Contact) bool { return c.ID == id })
	if i < 0 {
		return contact.Contact{}
	}
	return r.contacts[i]
}

// given are the donations the platform took (neither pending nor
// declined), those paid at a known time only when paid is set.
func (r records) given(paid bool) []donation.Donation {
	return slices.DeleteFunc(slices.Clone(r.donations), func(d donation.Donation) bool {
		return d.Status == donation.Pending || d.Status == donation.Declined || paid && d.PaidAt.IsZero()
	})
}

// groupSums returns, for each group key of the donations given, in key
// order, the key, the count, the gross amount and the amount net of
// refunds.
func groupSums(ds []donation.Donation, key func(donation.Donation) string) [][]string {
	type sums struct {
		n          int
		gross, net decimal.Decimal
	}
	by := map[string]*sums{}
	for _, d := range ds {
		s := by[key(d)]
		if s == nil {
			s = &sums{}
			by[key(d)] = s
		}
		s.n++
		s.gross = s.gross.Add(d.Amount)
		s.net = s.net.Add(d.Amount.Sub(d.Refunded))
	}
	var out [][]string
	for k, s := range by {
		out = append(out, []string{k, strconv.Itoa(s.n), s.gross.StringFixed(2), s.net.StringFixed(2)})
	}
	slices.SortFunc(out, func(a, b []string) int { return cmp.Compare(a[0], b[0]) })
	return out
}

func byMonth(r records) [][]string {
	return groupSums(r.given(true), func(d donation.Donation) string { return d.PaidAt.UTC().Format("2006-01") })
}

func byRefcode(r records) [][]string {
	rows := groupSums(r.given(false), func(d donation.Donation) string { return d.Refcodes["refcode"] })
	for i := range rows {
		rows[i] = rows[i][:3] // no net of refunds
	}
	return rows
}

// donorTotal is the donor's gifts that count, less their refunds.
func donorTotal(r records) [][]string {
	counted := []donation.Status{donation.Completed, donation.Refunded, donation.PartiallyRefunded, donation.ChargebackReversed}
	for _, c := range r.contacts {
		if !slices.Contains(c.Emails, donor) {
			continue
		}
		n, net := 0, decimal.Zero
		for _, d := range r.donations {
			if d.ContactID == c.ID && slices.Contains(counted, d.Status) {
				n++
				net = net.Add(d.Amount.Sub(d.Refunded))
			}
		}
		return [][]string{{c.ID, c.FirstName, c.LastName, strconv.Itoa(n), net.StringFixed(2)}}
	}
	return nil
}

// refunds are the refunds of the period, each with what it gave back.
func refunds(r records) [][]string {
	from, to := utc(refundFrom), utc(refundTo)
	adjs := slices.DeleteFunc(slices.Clone(r.adjustments), func(a donation.Adjustment) bool {
		return (a.Kind != donation.Refund && a.Kind != donation.PartialRefund) || a.At.Before(from) || !a.At.Before(to)
	})
	slices.SortFunc(adjs, func(a, b donation.Adjustment) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Key, b.Key))
	})
	var out [][]string
	for _, a := range adjs {
		i := slices.IndexFunc(r.donations, func(d donation.Donation) bool {
			return d.Provider == a.Provider && d.ExternalID == a.DonationID
		})
		email, back := "", a.Amount.StringFixed(2)
		if i >= 0 {
			d := r.donations[i]
			email = r.contact(d.ContactID).Email
			if a.Kind == donation.Refund && a.Amount.IsZero() {
				back = d.Amount.StringFixed(2)
			}
		}
		out = append(out, []string{cell(a.At), a.Provider, a.DonationID, email, back})
	}
	return out
}

// activeMonthly are the donors of active monthly commitments.
func activeMonthly(r records) [][]string {
	ms := slices.DeleteFunc(slices.Clone(r.commitments), func(m donation.Commitment) bool {
		return m.Status != donation.Active || m.Period != "monthly"
	})
	slices.SortFunc(ms, func(a, b donation.Commitment) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.ExternalID, b.ExternalID))
	})
	var out [][]string
	for _, m := range ms {
		c := r.contact(m.ContactID)
		out = append(out, []string{c.ID, c.FirstName, c.LastName, c.Email, m.Provider, m.Amount.String(), m.Currency, cell(m.StartedAt)})
	}
	return out
}

func utc(s string) time.Time {
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	panic("schemadoc: a period's bound not in a layout known: " + s)
}

// cell returns a value of a row as text: NULL as "", a time in UTC as
// the SQLite store keeps times.
func cell(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(v)
	case string:
		return v
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.UTC().Format("2006-01-02 15:04:05.000000")
	}
	return fmt.Sprint(v)
}

// equalRows reports whether got and want hold the same values, numbers
// compared as numbers ("50" is "50.00").
func equalRows(got, want [][]string) bool {
	return slices.EqualFunc(got, want, func(g, w []string) bool {
		return slices.EqualFunc(g, w, func(a, b string) bool {
			if a == b {
				return true
			}
			x, err1 := decimal.NewFromString(a)
			y, err2 := decimal.NewFromString(b)
			return err1 == nil && err2 == nil && x.Equal(y)
		})
	})
}
