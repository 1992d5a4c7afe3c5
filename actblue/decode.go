package actblue

import "github.com/donorsync/donorsync/flex"

// The decoders below read a payload in one pass with flex.Decoder. They
// give the same result as flex.Unmarshal with the struct tags of the
// payload types, but for keys in another case, which they skip (a fuzz
// test holds them to it), in a fraction of the time.

var payloadNames = flex.NewNames("donor", "contribution", "lineitems", "form")

func (p *Payload) decode(d *flex.Decoder) error {
	return d.Object(payloadNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "donor":
			return p.Donor.decode(d)
		case "contribution":
			return p.Contribution.decode(d)
		case "lineitems":
			return flex.Slice(d, &p.LineItems, (*LineItem).decode)
		default: // "form"
			return flex.Ptr(d, &p.Form, (*Form).decode)
		}
	})
}

var donorNames = flex.NewNames("firstname", "lastname", "addr1", "addr2", "city", "state", "zip", "country",
	"email", "phone", "isEligibleForExpressLane", "employerData")

func (v *Donor) decode(d *flex.Decoder) error {
	return d.Object(donorNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "firstname":
			return d.String(&v.FirstName)
		case "lastname":
			return d.String(&v.LastName)
		case "addr1":
			return d.String(&v.Addr1)
		case "addr2":
			return d.String(&v.Addr2)
		case "city":
			return d.String(&v.City)
		case "state":
			return d.String(&v.State)
		case "zip":
			return d.String(&v.Zip)
		case "country":
			return d.String(&v.Country)
		case "email":
			return d.String(&v.Email)
		case "phone":
			return d.String(&v.Phone)
		case "isEligibleForExpressLane":
			return d.Bool(&v.IsEligibleForExpressLane)
		default: // "employerData"
			return flex.Ptr(d, &v.EmployerData, (*EmployerData).decode)
		}
	})
}

var employerNames = flex.NewNames("employer", "occupation", "employerAddr1", "employerCity", "employerState", "employerCountry")

func (v *EmployerData) decode(d *flex.Decoder) error {
	return d.Object(employerNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "employer":
			return d.String(&v.Employer)
		case "occupation":
			return d.String(&v.Occupation)
		case "employerAddr1":
			return d.String(&v.EmployerAddr1)
		case "employerCity":
			return d.String(&v.EmployerCity)
		case "employerState":
			return d.String(&v.EmployerState)
		default: // "employerCountry"
			return d.String(&v.EmployerCountry)
		}
	})
}

var contributionNames = flex.NewNames("createdAt", "orderNumber", "contributionForm", "refcode", "refcode2", "refcodes",
	"creditCardExpiration", "recurringPeriod", "recurringDuration", "abTestName", "abTestVariation", "isRecurring",
	"isPaypal", "isMobile", "isExpress", "withExpressLane", "expressSignup", "uniqueIdentifier", "status",
	"thanksUrl", "retryUrl", "customFields", "textMessageOption", "smartBoostAmount", "cancelledAt",
	"recurringType", "recurCompleted", "recurPledged")

func (v *Contribution) decode(d *flex.Decoder) error {
	return d.Object(contributionNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "createdAt":
			return d.Time(&v.CreatedAt)
		case "orderNumber":
			return d.ID(&v.OrderNumber)
		case "contributionForm":
			return d.String(&v.ContributionForm)
		case "refcode":
			return d.String(&v.Refcode)
		case "refcode2":
			return d.String(&v.Refcode2)
		case "refcodes":
			return v.Refcodes.decode(d)
		case "creditCardExpiration":
			return d.String(&v.CreditCardExpiration)
		case "recurringPeriod":
			return d.String(&v.RecurringPeriod)
		case "recurringDuration":
			return d.String(&v.RecurringDuration)
		case "abTestName":
			return d.String(&v.AbTestName)
		case "abTestVariation":
			return d.String(&v.AbTestVariation)
		case "isRecurring":
			return d.Bool(&v.IsRecurring)
		case "isPaypal":
			return d.Bool(&v.IsPaypal)
		case "isMobile":
			return d.Bool(&v.IsMobile)
		case "isExpress":
			return d.Bool(&v.IsExpress)
		case "withExpressLane":
			return d.Bool(&v.WithExpressLane)
		case "expressSignup":
			return d.Bool(&v.ExpressSignup)
		case "uniqueIdentifier":
			return d.String(&v.UniqueIdentifier)
		case "status":
			return d.String(&v.Status)
		case "thanksUrl":
			return d.String(&v.ThanksURL)
		case "retryUrl":
			return d.String(&v.RetryURL)
		case "customFields":
			return flex.Slice(d, &v.CustomFields, (*CustomField).decode)
		case "textMessageOption":
			return d.String(&v.TextMessageOption)
		case "smartBoostAmount":
			return d.Money(&v.SmartBoostAmount)
		case "cancelledAt":
			return d.Time(&v.CancelledAt)
		case "recurringType":
			return d.String(&v.RecurringType)
		case "recurCompleted":
			return d.Int(&v.RecurCompleted)
		default: // "recurPledged"
			return d.Int(&v.RecurPledged)
		}
	})
}

var customFieldNames = flex.NewNames("label", "answer")

func (v *CustomField) decode(d *flex.Decoder) error {
	return d.Object(customFieldNames, func(d *flex.Decoder, name string) error {
		if name == "label" {
			return d.String(&v.Label)
		}
		return d.String(&v.Answer)
	})
}

var lineItemNames = flex.NewNames("sequence", "entityId", "fecId", "committeeName", "amount", "recurringAmount",
	"amountLessAbFees", "paidAt", "paymentId", "lineitemId", "refundedAt", "disbursedAt", "recoveredAt")

func (v *LineItem) decode(d *flex.Decoder) error {
	return d.Object(lineItemNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "sequence":
			return d.Int(&v.Sequence)
		case "entityId":
			return d.ID(&v.EntityID)
		case "fecId":
			return d.String(&v.FECID)
		case "committeeName":
			return d.String(&v.CommitteeName)
		case "amount":
			return d.Money(&v.Amount)
		case "recurringAmount":
			return d.Money(&v.RecurringAmount)
		case "amountLessAbFees":
			return d.Money(&v.AmountLessAbFees)
		case "paidAt":
			return d.Time(&v.PaidAt)
		case "paymentId":
			return d.ID(&v.PaymentID)
		case "lineitemId":
			return d.ID(&v.LineItemID)
		case "refundedAt":
			return d.Time(&v.RefundedAt)
		case "disbursedAt":
			return d.Time(&v.DisbursedAt)
		default: // "recoveredAt"
			return d.Time(&v.RecoveredAt)
		}
	})
}

var formNames = flex.NewNames("name", "kind", "ownerEmail", "managingEntityName", "managingEntityCommitteeName")

func (v *Form) decode(d *flex.Decoder) error {
	return d.Object(formNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "name":
			return d.String(&v.Name)
		case "kind":
			return d.String(&v.Kind)
		case "ownerEmail":
			return d.String(&v.OwnerEmail)
		case "managingEntityName":
			return d.String(&v.ManagingEntityName)
		default: // "managingEntityCommitteeName"
			return d.String(&v.ManagingEntityCommitteeName)
		}
	})
}

func (r *Refcodes) decode(d *flex.Decoder) error {
	*r = nil
	switch d.Peek() {
	case 'n':
		_, err := d.Null()
		return err
	case '[':
		return d.Array(func(d *flex.Decoder, _ int) error { return d.Reject("an object of tracking codes") })
	case '{':
		return d.Map(func(d *flex.Decoder, key string) error {
			var v flex.String
			if err := d.String(&v); err != nil {
				return err
			}
			if v.Valid {
				if *r == nil {
					*r = make(Refcodes)
				}
				(*r)[key] = v.Value
			}
			return nil
		})
	case '"':
		raw, err := d.Raw()
		if err != nil || string(raw) == `""` {
			return err
		}
		return &flex.Error{Field: d.Field(), Value: string(raw), Want: "an object of tracking codes"}
	}
	return d.Reject("an object of tracking codes")
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *Refcodes) UnmarshalJSON(data []byte) error {
	d := flex.NewDecoder(data)
	if err := r.decode(d); err != nil {
		return err
	}
	return d.End()
}
