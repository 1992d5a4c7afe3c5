package main

import "fmt"

// The samples follow the platforms' documents; n makes their ids unique.

func actblueContribution(n int64) string {
	return fmt.Sprintf(`{"donor":{"firstname":"Sample","lastname":"Donor","addr1":"1 Sample St","city":"Austin","state":"Texas",
"zip":"78701","country":"United States","email":"sample.donor@example.org","phone":"(512) 555-0100",
"employerData":{"employer":"Sample Co","occupation":"Tester"}},
"contribution":{"createdAt":"2024-06-07T15:49:32-04:00","orderNumber":"AB%d","contributionForm":"sample-form",
"refcodes":{"refcode":"send"},"recurringPeriod":"once","recurringDuration":0,"isPaypal":false,"isMobile":false,
"isExpress":false,"withExpressLane":false,"status":"approved","customFields":[]},
"lineitems":[{"sequence":0,"entityId":99999,"fecId":"C00999999","committeeName":"Sample Committee","amount":"25.00",
"paidAt":"2024-06-07T15:49:33-04:00","lineitemId":%d}]}`, n, n)
}

func actblueRefund(n int64) string {
	return fmt.Sprintf(`{"donor":{"firstname":"Sample","lastname":"Donor","email":"sample.donor@example.org"},
"contribution":{"createdAt":"2024-06-07T15:49:32-04:00","orderNumber":"AB%d","status":"approved"},
"lineitems":[{"sequence":0,"entityId":99999,"committeeName":"Sample Committee","amount":"25.00",
"paidAt":"2024-06-07T15:49:33-04:00","lineitemId":%d,"refundedAt":"2024-06-10T10:00:00-04:00"}]}`, n, n+1)
}

func anedotDonation(n int64) string {
	return fmt.Sprintf(`{"event":"donation_completed","payload":{"submission_id":"s-%d","donation":{"id":"d%d",
"fees":{"anedot_fees":{"amount":"1.30"},"vendor_fees":[]}},"origin":"hosted","commitment_uid":"","event_amount":"25.00",
"amount_in_dollars":"25.0","net_amount":"23.70","frequency":"once","created_at":"2024-06-07 22:06:25 UTC",
"updated_at":"2024-06-07 22:06:26 UTC","email":"sample.donor@example.org","phone":"5125550100","first_name":"Sample",
"last_name":"Donor","address_line_1":"1 Sample St","address_city":"Austin","address_region":"TX",
"address_postal_code":"78701","address_country":"US","recurring":"false"}}`, n, n)
}

func actionNetworkSignature(n int64) string {
	return fmt.Sprintf(`[{"osdi:signature":{"identifiers":["action_network:sig-%d"],"created_date":"2024-06-07T17:07:31Z",
"modified_date":"2024-06-07T17:07:31Z","person":{"modified_date":"2024-06-07T17:07:31Z","given_name":"Sample",
"family_name":"Donor","email_addresses":[{"address":"sample.donor@example.org","primary":true}],
"postal_addresses":[{"primary":true,"region":"Texas","postal_code":"78701","country":"US"}]},"add_tags":["volunteer"],
"_links":{"osdi:petition":{"href":"https://actionnetwork.org/api/v2/petitions/sample"},
"osdi:person":{"href":"https://actionnetwork.org/api/v2/people/person-%d"}}},
"action_network:sponsor":{"title":"Sample Group","url":"https://actionnetwork.org/groups/sample"},
"idempotency_key":"sig-%d"}]`, n, n, n)
}

func actionNetworkDonation(n int64) string {
	return fmt.Sprintf(`[{"osdi:donation":{"identifiers":["action_network:don-%d"],"created_date":"2024-06-08T09:00:00Z",
"modified_date":"2024-06-08T09:00:00Z","currency":"usd","amount":"10.00",
"recipients":[{"display_name":"Sample Group","amount":"10.00"}],"action_network:person_id":"person-%d"},
"action_network:sponsor":{"title":"Sample Group","url":"https://actionnetwork.org/groups/sample"},
"idempotency_key":"don-%d"}]`, n, n, n)
}
