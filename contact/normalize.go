package contact

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize puts every field of c in canonical form: names trimmed and
// re-cased when they arrive in one case, email and phone normalised, the
// address's state, postal code and country normalised, and the primary
// email and phone added to Emails and Phones. A phone that normalises to
// no Number is kept in Phones as received. Provider packages call it
// on what they decode; it is idempotent.
func (c *Contact) Normalize() {
	c.FirstName = NormalizeName(c.FirstName)
	c.MiddleName = NormalizeName(c.MiddleName)
	c.LastName = NormalizeName(c.LastName)
	c.Suffix = strings.TrimSpace(c.Suffix)
	c.Email = NormalizeEmail(c.Email)
	for i, e := range c.Emails {
		c.Emails[i] = NormalizeEmail(e)
	}
	c.Emails = union(c.Emails, nil, c.Email)
	if c.Phone != "" {
		// A value that is no number (too few digits) stays in Phones as
		// received, without a Number.
		p := NormalizePhone(c.Phone)
		c.Phone = p.Number
		c.Phones = append(c.Phones, p)
	}
	for i, p := range c.Phones {
		if p.Raw == "" {
			p.Raw = p.Number
		}
		c.Phones[i] = NormalizePhone(p.Raw)
	}
	c.Phones = unionPhones(slices.DeleteFunc(c.Phones, func(p Phone) bool { return p.Raw == "" }), nil)
	c.Address = NormalizeAddress(c.Address)
	c.Employer = strings.TrimSpace(c.Employer)
	c.Occupation = strings.TrimSpace(c.Occupation)
	for k, v := range c.Custom {
		if v = strings.TrimSpace(v); v == "" {
			delete(c.Custom, k)
		} else {
			c.Custom[k] = v
		}
	}
	for i, t := range c.Tags {
		c.Tags[i] = strings.TrimSpace(t)
	}
	c.Tags = union(c.Tags, nil)
	c.Sources = unionSources(c.Sources, nil)
}

// NormalizeEmail trims and lower-cases an email address. It returns "" for
// a value without an "@" between a local part and a domain.
func NormalizeEmail(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " \t\r\n") {
		return ""
	}
	return s
}

// NormalizePhone parses a free-form phone number. It drops punctuation and
// an extension ("x5082", "ext. 12"); a US number of 10 digits, or 11
// starting with 1, becomes E.164 (+15105016227); a number given with "+"
// keeps its country code; anything else keeps its digits. Number is "" when
// there are fewer than 7 or more than 15 digits. Raw is always the
// trimmed input. A Number is not necessarily a subscriber's number: see
// Phone.Matchable.
func NormalizePhone(s string) Phone {
	raw := strings.TrimSpace(s)
	main := raw
	if i := extensionIndex(main); i >= 0 {
		main = main[:i]
	}
	plus := strings.HasPrefix(strings.TrimSpace(main), "+")
	digits := make([]byte, 0, len(main))
	for i := 0; i < len(main); i++ {
		if c := main[i]; c >= '0' && c <= '9' {
			digits = append(digits, c)
		}
	}
	p := Phone{Raw: raw}
	switch {
	case len(digits) < 7 || len(digits) > 15:
	case plus:
		p.Number = "+" + string(digits)
	case len(digits) == 10 && digits[0] >= '2':
		p.Number = "+1" + string(digits)
	case len(digits) == 11 && digits[0] == '1' && digits[1] >= '2':
		p.Number = "+" + string(digits)
	default:
		p.Number = string(digits)
	}
	return p
}

// extensionIndex returns where an extension starts in a phone number, or -1.
func extensionIndex(s string) int {
	lower := strings.ToLower(s)
	for _, mark := range []string{"ext", "x", "#", ";"} {
		if i := strings.Index(lower, mark); i > 0 {
			return i
		}
	}
	return -1
}

// NormalizeAddress trims every component, turns a US state name into its
// USPS code, normalises a US ZIP or ZIP+4, and a country name into its
// ISO code where recognised. A postal code that is not a valid ZIP is kept
// as received.
func NormalizeAddress(a Address) Address {
	a.Line1 = collapse(a.Line1)
	a.Line2 = collapse(a.Line2)
	a.City = collapse(a.City)
	a.Country = NormalizeCountry(a.Country)
	a.State = NormalizeState(a.State)
	a.PostalCode = strings.TrimSpace(a.PostalCode)
	if a.Country == "" || a.Country == "US" {
		a.PostalCode = NormalizeZIP(a.PostalCode)
	}
	return a
}

// NormalizeZIP returns a US postal code as "12345" or "12345-6789". A
// value that is not a ZIP or ZIP+4 is returned trimmed, unchanged.
func NormalizeZIP(s string) string {
	s = strings.TrimSpace(s)
	digits := make([]byte, 0, 9)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == '-' || c == ' ':
		default:
			return s
		}
	}
	switch len(digits) {
	case 5:
		return string(digits)
	case 9:
		return string(digits[:5]) + "-" + string(digits[5:])
	}
	return s
}

// NormalizeState returns the USPS code for a US state, territory or
// military "state" given by name or code in any case; other values are
// returned trimmed.
func NormalizeState(s string) string {
	s = collapse(s)
	if s == "" {
		return ""
	}
	key := strings.ToUpper(strings.ReplaceAll(s, ".", ""))
	if len(key) == 2 {
		if _, ok := uspsCodes[key]; ok {
			return key
		}
	}
	if code, ok := usStates[key]; ok {
		return code
	}
	return s
}

// NormalizeCountry returns "US" for the United States in its usual
// spellings and an upper-cased two-letter code as is; other values are
// returned trimmed.
func NormalizeCountry(s string) string {
	s = collapse(s)
	key := strings.ToUpper(strings.ReplaceAll(s, ".", ""))
	switch key {
	case "US", "USA", "UNITED STATES", "UNITED STATES OF AMERICA":
		return "US"
	}
	if len(key) == 2 && isLetters(key) {
		return key
	}
	return s
}

// NormalizeName trims and collapses spaces; a name written entirely in
// upper or lower case is re-cased word by word ("MARY-ANN O'NEIL" becomes
// "Mary-Ann O'Neil"). Mixed case is kept as written.
func NormalizeName(s string) string {
	s = collapse(s)
	if s == "" || (s != strings.ToUpper(s) && s != strings.ToLower(s)) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	upper := true
	for _, r := range s {
		if upper {
			b.WriteRune(unicode.ToUpper(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
		upper = !unicode.IsLetter(r) && r != utf8.RuneError
	}
	return b.String()
}

// collapse trims s and replaces runs of white space by one space.
func collapse(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") && !strings.ContainsAny(s, "\t\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

func isLetters(s string) bool {
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

var usStates = map[string]string{
	"ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA",
	"COLORADO": "CO", "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC",
	"WASHINGTON DC": "DC", "FLORIDA": "FL", "GEORGIA": "GA", "HAWAII": "HI", "IDAHO": "ID",
	"ILLINOIS": "IL", "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS", "KENTUCKY": "KY",
	"LOUISIANA": "LA", "MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA", "MICHIGAN": "MI",
	"MINNESOTA": "MN", "MISSISSIPPI": "MS", "MISSOURI": "MO", "MONTANA": "MT", "NEBRASKA": "NE",
	"NEVADA": "NV", "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ", "NEW MEXICO": "NM", "NEW YORK": "NY",
	"NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK", "OREGON": "OR",
	"PENNSYLVANIA": "PA", "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD",
	"TENNESSEE": "TN", "TEXAS": "TX", "UTAH": "UT", "VERMONT": "VT", "VIRGINIA": "VA",
	"WASHINGTON": "WA", "WEST VIRGINIA": "WV", "WISCONSIN": "WI", "WYOMING": "WY",
	"AMERICAN SAMOA": "AS", "GUAM": "GU", "NORTHERN MARIANA ISLANDS": "MP", "PUERTO RICO": "PR",
	"VIRGIN ISLANDS": "VI", "US VIRGIN ISLANDS": "VI", "ARMED FORCES AMERICAS": "AA",
	"ARMED FORCES EUROPE": "AE", "ARMED FORCES PACIFIC": "AP",
}

var uspsCodes = func() map[string]struct{} {
	m := make(map[string]struct{}, len(usStates))
	for _, code := range usStates {
		m[code] = struct{}{}
	}
	return m
}()
