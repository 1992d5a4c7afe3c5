package admin

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestPersonal(t *testing.T) {
	for _, name := range []string{
		"email", "Email", "ownerEmail", "email_addresses", "phone", "phone_numbers", "firstname", "first_name",
		"given_name", "family_name", "lastname", "addr1", "address_line_1", "postal_addresses", "zip", "postal_code",
		"city", "address_city", "locality", "employer", "employerData", "employer_name", "occupation",
		"Donor First Name", "Donor Addr1", "Donor ZIP", "Donor Email", "Donor Phone", "Donor Employer", "Donor Country",
		"Card Last Four", "creditCardExpiration", "Comments", "ip_address", "latitude",
	} {
		if !personal(name) {
			t.Errorf("%q is not masked", name)
		}
	}
	for _, name := range []string{
		"Donor ID", "amount", "orderNumber", "lineitemId", "committeeName", "name", "createdAt", "lastChargedAt",
		"status", "identifiers", "Receipt ID", "Lineitem ID", "Recipient", "refcode", "state", "country",
	} {
		if personal(name) {
			t.Errorf("%q is masked", name)
		}
	}
}

func TestMaskJSON(t *testing.T) {
	body := `[{"person": {"given_name": "Ann", "email_addresses": [{"address": "ann@example.org", "primary": true}],
		"postal_addresses": [{"postal_code": "02139", "location": {"latitude": 42.36}}], "phone": null, "zip": ""},
		"amount": 12.5, "id": "a<b>", "id": "dup", "email": 7}]`
	got, err := maskJSON([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := `[
  {
    "person": {
      "given_name": "•••",
      "email_addresses": [
        {
          "address": "•••",
          "primary": true
        }
      ],
      "postal_addresses": [
        {
          "postal_code": "•••",
          "location": {
            "latitude": "•••"
          }
        }
      ],
      "phone": null,
      "zip": ""
    },
    "amount": 12.5,
    "id": "a<b>",
    "id": "dup",
    "email": "•••"
  }
]`
	if got != want {
		t.Errorf("maskJSON =\n%s\nwant\n%s", got, want)
	}
	for _, bad := range []string{`{"a": 1`, `{"a": 1} {}`, `{"a" 1}`, strings.Repeat("[", 200) + strings.Repeat("]", 200)} {
		if _, err := maskJSON([]byte(bad)); err == nil {
			t.Errorf("maskJSON(%.20q) did not fail", bad)
		}
	}
	if b := showBody("", []byte(`{"email": "x@example.org"}`+"\n"), false); !b.Masked || b.Withheld != "" || strings.Contains(b.Text, "x@") {
		t.Errorf("showBody of JSON: %+v", b)
	}
	if b := showBody("", []byte("\xffemail=x"), false); b.Withheld == "" || b.Text != "" {
		t.Errorf("showBody of a form: %+v", b)
	}
	if b := showBody("", []byte("\xffemail=x"), true); b.Text != "\uFFFDemail=x" {
		t.Errorf("showBody unmasked of invalid UTF-8: %q", b.Text)
	}
}

func TestMaskCSV(t *testing.T) {
	body := "\uFEFFReceipt ID,Donor First Name,Donor ID,Amount,Comments\nAB1,Ann,D1,5.00,\"a, b\"\nAB2,,D2,6.00,,extra\n"
	got, err := maskCSV([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := "\uFEFFReceipt ID,Donor First Name,Donor ID,Amount,Comments\nAB1,•••,D1,5.00,•••\nAB2,,D2,6.00,,•••\n"
	if got != want {
		t.Errorf("maskCSV =\n%q\nwant\n%q", got, want)
	}
	if _, err := maskCSV([]byte("a,\"b\n")); err == nil {
		t.Error("maskCSV of a broken CSV did not fail")
	}
	if b := showBody("report:paid_contributions", []byte(`{"email": "x"}`), false); b.Withheld == "" {
		t.Errorf("a report that is not CSV: %+v", b)
	}
}

func TestAmountsAreExact(t *testing.T) {
	for in, want := range map[string]string{
		"25.775": "25.775", "0.001": "0.001", "50": "50.00", "50.0": "50.00", "25.9": "25.90",
		"33.10": "33.10", "25.7750": "25.775", "25.0000": "25.00", "-3.5": "-3.50", "1234567.891": "1234567.891",
	} {
		if got := amount(decimal.RequireFromString(in)); got != want {
			t.Errorf("amount(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestBase(t *testing.T) {
	for path, want := range map[string]string{
		"/": "./", "": "./", "/deliveries": "./", "/deliveries/t/id": "../../", "/contacts/a%2Fb/ct_1": "../../",
	} {
		r := httptestRequest(path)
		if got := base(r); got != want {
			t.Errorf("base(%q) = %q, want %q", path, got, want)
		}
	}
}

func httptestRequest(path string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.URL.RawPath = ""
	r.URL.Path = path
	if u, err := url.Parse(path); err == nil && path != "" {
		r.URL = u
	}
	return r
}
