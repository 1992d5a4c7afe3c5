package loadgen

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
)

// A BodyMaker makes the body of an ActBlue delivery: the gift id (its
// line item and order), the donor, and, for a refund, what to add to its
// line item ("" for a gift).
type BodyMaker func(id int64, donor int, refund string) []byte

// templateFields are the values of an ActBlue body that Template replaces:
// those naming the donor, and those naming the gift.
var templateFields = regexp.MustCompile(`"(firstname|lastname|addr1|email|phone|orderNumber|uniqueIdentifier)"(\s*:\s*)"[^"]*"|"(lineitemId|paymentId)"(\s*:\s*)[0-9]+`)

// Template returns a BodyMaker that makes bodies of the size and shape of
// tmpl, an ActBlue contribution with one line item (such as
// actblue/testdata/contribution.json), with the donor's name, address,
// email and phone and the gift's ids replaced: donors recur across
// bodies as their numbers do, each gift's ids are its own, and every
// other byte is tmpl's.
func Template(tmpl []byte) (BodyMaker, error) {
	fields := templateFields.FindAllSubmatchIndex(tmpl, -1)
	if n := bytes.Count(tmpl, []byte(`"lineitemId"`)); n != 1 || len(fields) < 8 {
		return nil, fmt.Errorf("loadgen: template: want an ActBlue contribution with one line item, found %d line items and %d of the fields replaced", n, len(fields))
	}
	return func(id int64, donor int, refund string) []byte {
		out := make([]byte, 0, len(tmpl)+len(refund)+64)
		last := 0
		for _, m := range fields {
			out = append(out, tmpl[last:m[0]]...)
			last = m[1]
			if m[2] >= 0 { // a text value
				name := string(tmpl[m[2]:m[3]])
				out = append(append(append(append(out, '"'), name...), '"'), tmpl[m[4]:m[5]]...)
				out = strconv.AppendQuote(out, templateValue(name, id, donor))
				continue
			}
			name := string(tmpl[m[6]:m[7]])
			out = append(append(append(append(out, '"'), name...), '"'), tmpl[m[8]:m[9]]...)
			out = strconv.AppendInt(out, id, 10)
			if name == "lineitemId" {
				out = append(out, refund...)
			}
		}
		return append(out, tmpl[last:]...)
	}, nil
}

// templateValue is the text of the field name of the gift id of donor.
func templateValue(name string, id int64, donor int) string {
	switch name {
	case "firstname":
		return "Load"
	case "lastname":
		return fmt.Sprint("Donor", donor)
	case "addr1":
		return fmt.Sprint(donor, " Main St")
	case "email":
		return fmt.Sprintf("donor%d@load.example", donor)
	case "phone":
		return fmt.Sprintf("(512) 7%02d-%04d", donor/10000%100, donor%10000)
	case "orderNumber":
		return fmt.Sprint("AB", id)
	default: // uniqueIdentifier
		return fmt.Sprintf("%08x-0000-4000-8000-%012x", id>>48, id&(1<<48-1))
	}
}
