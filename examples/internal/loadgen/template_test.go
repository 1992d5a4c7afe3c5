package loadgen

import (
	"encoding/json"
	"os"
	"testing"
)

func TestTemplateReplacesDonorAndGift(t *testing.T) {
	tmpl, err := os.ReadFile("../../../actblue/testdata/contribution.json")
	if err != nil {
		t.Fatal(err)
	}
	mk, err := Template(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	type body struct {
		Donor struct {
			Lastname, Email, Phone string
		}
		Contribution struct{ OrderNumber, UniqueIdentifier string }
		Lineitems    []struct {
			LineitemID, PaymentID int64
			RefundedAt            string
		}
	}
	decode := func(b []byte) body {
		t.Helper()
		var v body
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		return v
	}
	a, b := mk(1234567890123, 42, ""), mk(1234567890124, 42, `,"refundedAt":"2024-06-10T10:00:00-04:00"`)
	if d := len(a) - len(tmpl); d < -60 || d > 60 {
		t.Errorf("%d bytes from a template of %d", len(a), len(tmpl))
	}
	va, vb := decode(a), decode(b)
	if va.Donor != vb.Donor || va.Donor.Email != "donor42@load.example" || va.Donor.Lastname != "Donor42" {
		t.Errorf("donors %+v and %+v", va.Donor, vb.Donor)
	}
	if va.Lineitems[0].LineitemID != 1234567890123 || va.Contribution.OrderNumber != "AB1234567890123" ||
		va.Contribution.UniqueIdentifier == vb.Contribution.UniqueIdentifier || va.Lineitems[0].RefundedAt != "" {
		t.Errorf("gift %+v %+v", va.Contribution, va.Lineitems)
	}
	if vb.Lineitems[0].RefundedAt == "" || vb.Lineitems[0].PaymentID != 1234567890124 {
		t.Errorf("refund %+v", vb.Lineitems)
	}
	if other := decode(mk(1, 43, "")); other.Donor.Phone == va.Donor.Phone || other.Donor.Email == va.Donor.Email {
		t.Errorf("donors 42 and 43 share %+v", other.Donor)
	}
	if _, err := Template([]byte(`{"lineitems":[]}`)); err == nil {
		t.Error("a template without its fields accepted")
	}
}
