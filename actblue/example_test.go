package actblue_test

import (
	"fmt"

	"github.com/donorsync/donorsync/actblue"
)

func ExampleGenerateCredential() {
	c, err := actblue.GenerateCredential("acme", "Acme for America")
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Tenant, c.Username[:len("acme-for-america-")], len(c.Password))
	// Output: acme acme-for-america- 24
}

func ExampleParse() {
	p, err := actblue.Parse([]byte(`{
		"donor": {"firstname": "Ann", "email": "ann@example.org"},
		"contribution": {"orderNumber": "AB1", "createdAt": "2019-06-07T15:49:32-04:00"},
		"lineitems": [{"lineitemId": 7, "amount": "25.0", "refundedAt": "2019-06-20T10:00:00-04:00"}]
	}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Kind(""), p.LineItems[0].LineItemID.Value, p.LineItems[0].Amount.Amount)
	// Output: refund 7 25
}
