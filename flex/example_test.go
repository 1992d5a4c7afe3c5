package flex_test

import (
	"encoding/json"
	"fmt"

	"github.com/donorsync/donorsync/flex"
)

func ExampleMoney() {
	var v struct {
		A, B, C, D flex.Money
	}
	_ = json.Unmarshal([]byte(`{"A": "50.0", "B": "$33.10", "C": 25.9, "D": ""}`), &v)
	fmt.Println(v.A.Amount, v.B.Amount, v.C.Amount, v.D.Valid)
	// Output: 50 33.1 25.9 false
}

func ExampleDecoder() {
	var amount flex.Money
	names := flex.NewNames("amount")
	d := flex.NewDecoder([]byte(`{"items": [{"amount": "ten"}]}`))
	err := d.Object(flex.NewNames("items"), func(d *flex.Decoder, _ string) error {
		return d.Array(func(d *flex.Decoder, _ int) error {
			return d.Object(names, func(d *flex.Decoder, _ string) error { return d.Money(&amount) })
		})
	})
	fmt.Println(err)
	// Output: field items[0].amount: invalid value "ten": want a decimal amount such as "25.00", "$33.10" or 25.9
}
