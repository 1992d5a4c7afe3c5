package contact_test

import (
	"fmt"
	"time"

	"github.com/donorsync/donorsync/contact"
)

func ExampleNormalizePhone() {
	p := contact.NormalizePhone("(589) 742-7087 x5082")
	fmt.Println(p.Number, "|", p.Raw)
	// Output: +15897427087 | (589) 742-7087 x5082
}

// Two deliveries about one donor, merged in the order they arrive: the
// newer name wins, and the older delivery's employer is kept.
func ExampleContact_Merge() {
	newer := contact.Contact{FirstName: "Janet", Email: "jane@example.org"}
	newer.Normalize()
	newer.Stamp(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC))

	older := contact.Contact{FirstName: "JANE", Email: "Jane@Example.org", Employer: "Acme"}
	older.Normalize()
	older.Stamp(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))

	var c contact.Contact
	c.Merge(newer)
	c.Merge(older)
	fmt.Println(c.FirstName, c.Employer, c.Emails)
	// Output: Janet Acme [jane@example.org]
}
