// Package reports reads ActBlue's CSV reports through its CSV API: the
// paid, refunded, cancelled-recurring and managed-form contributions of a
// date range, streamed row by row.
//
// ActBlue recommends these reports, not its webhooks, as the source of
// truth: a delivery its senders gave up on is still in them.
//
// # The credential
//
// In the ActBlue dashboard, Admin → API Credentials, create a credential.
// ActBlue shows a client UUID and a client secret; keep both in your
// secrets store. A credential covers only the entity it was created for: a
// committee with several entities creates one per entity.
//
//	c := &reports.Client{UUID: uuid, Secret: secret}
//	for row, err := range c.Rows(ctx, reports.Paid, from, to) {
//		if err != nil {
//			...
//		}
//		fmt.Println(row.LineitemID, row.Amount, row.Date)
//	}
//
// # What a client does
//
// For each span of at most 180 days of the range it requests a report,
// polls until ActBlue has written it, downloads it and reads it as it
// arrives: a report is never held in memory whole. It keeps within a budget
// of requests (by default 10 a minute), backs off on 429 and 5xx answers
// (exponentially, with jitter, and no sooner than Retry-After), and polls
// again for a fresh link when a download link has expired.
//
// A 401 answer wraps [ErrUnauthorized] (the credential), a 422 wraps
// [ErrInvalidRange], and a report ActBlue could not write wraps
// [ErrReportFailed]; every answer that ends a request is a [*StatusError].
//
// # Rows
//
// Columns are found by their header names, in any order; a byte-order mark
// is skipped. Times, which ActBlue writes as US Eastern wall-clock times,
// are converted to UTC by the rules of America/New_York. Money is exact
// ([decimal.Decimal]). The columns a [Row] has no field for are kept in
// [Row.Other], except those that identify a payment instrument or a
// document (card numbers and types, last four digits, expiry, AVS, check,
// bank and passport numbers): these are dropped as rows are read.
package reports
