package contact

import "strings"

// Matchable reports whether p may identify a person: whether its Number is
// a number in E.164 form that a numbering plan can assign to a subscriber.
// A placeholder typed into a form ("(000) 000-0000", "555-555-5555",
// "123-456-7890"), a fictional number (555-0100 to 555-0199) or a number
// without its country code is kept on the contact but matches no one, so
// that two strangers who typed the same placeholder are never merged.
// Match policies use it to choose their phone keys.
//
// Numbers of the North American Numbering Plan (+1) are held to its rules
// (see validNANP). Other numbers need 7 to 15 digits (ITU-T E.164), a
// country code not starting with 0, and a national part that is not one
// digit repeated.
func (p Phone) Matchable() bool {
	digits, ok := strings.CutPrefix(p.Number, "+")
	if !ok || len(digits) < 7 || len(digits) > 15 || !allDigits(digits) || digits[0] == '0' {
		return false
	}
	if digits[0] == '1' {
		return len(digits) == 11 && validNANP(digits[1:])
	}
	return !repeated(digits[3:])
}

// validNANP reports whether the ten digits NPA-NXX-XXXX can be a
// subscriber's number under the North American Numbering Plan:
//
//   - An area code (NPA) and a central office code (NXX) both have the form
//     NXX, N being 2-9: 0 and 1 lead operator and long-distance dialling.
//   - N11 codes (211, 311, ... 911) are service codes, neither an area
//     code nor an office code.
//   - Area codes with 9 as the middle digit (N9X) are reserved for the
//     plan's expansion to more digits, and 37X and 96X are reserved for
//     purposes not yet foreseen; none is assigned. Area code 555 is not
//     assigned either.
//   - Office code 555 holds no subscriber lines: 555-0100 to 555-0199 are
//     reserved for fictitious use (films, books, examples), 555-1212 is
//     directory assistance, and the other lines were set aside for
//     information services. Office codes 950 (carrier access) and 958
//     and 959 (plant testing) are not assigned to subscribers either.
//   - A number of one digit repeated ("222-222-2222") is a placeholder.
//
// Sources: the NANP Administrator's NPA Allocation Plan and Assignment
// Guidelines, Central Office Code (NXX) Assignment Guidelines and 555
// NXX resource pages (https://www.nationalnanpa.com); summarised in
// https://en.wikipedia.org/wiki/North_American_Numbering_Plan and
// https://en.wikipedia.org/wiki/555_(telephone_number).
// The rules are those of the plan's format, not of today's assignments:
// an area code not yet in service still passes, so that the rule need not
// change when it opens.
func validNANP(d string) bool {
	npa, nxx := d[:3], d[3:6]
	switch {
	case npa[0] < '2', nxx[0] < '2':
		return false
	case npa[1:] == "11", nxx[1:] == "11":
		return false
	case npa[1] == '9', npa[:2] == "37", npa[:2] == "96", npa == "555":
		return false
	case nxx == "555", nxx == "950", nxx == "958", nxx == "959":
		return false
	}
	return !repeated(d)
}

// repeated reports whether s is one digit repeated.
func repeated(s string) bool {
	return s != "" && strings.Count(s, s[:1]) == len(s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
