// Package reconcile compares ActBlue's reports with what a store holds,
// line item by line item, and applies what the store is missing.
//
// ActBlue gives up on a webhook after ten attempts: a receiver that was
// down over a weekend, or refused deliveries after a credential mix-up,
// never sees those gifts. ActBlue's CSV reports still hold them.
// A Reconciler reads the paid, refunded and cancelled-recurring reports of
// a date range with a reports.Client and reports each difference:
//
//   - Missing: paid in ActBlue, not here;
//   - NotRefunded: refunded in ActBlue, not here;
//   - RefundedOnlyHere: refunded here within the range, in no refunded report;
//   - NotCancelled: a recurring gift cancelled in ActBlue, active here;
//   - AmountDiffers, DateDiffers: the same line item, another amount or
//     payment time;
//   - Unreported: a donation here paid within the range, in no paid report
//     (a test delivery, or a gift of another entity);
//   - Unreadable: a row of a report that could not be read.
//
// With Apply, the rows behind Missing, NotRefunded and NotCancelled are
// journaled and applied through the Ingester, each as the delivery
// actblue.ReportDelivery makes of it: with its own idempotency key, so
// that a row is applied once however often it is reconciled, and a gift
// that arrives by webhook and by report ends as one donation. Replay and
// the read API see these deliveries as any other. An unreadable row is
// journaled too, quarantined, for an operator to see. A backfill stopped
// half-way (even by SIGKILL) is finished by running it again.
//
// A Reconciler reads reports as they arrive and compares rows in batches:
// its memory does not grow with the rows but for 8 bytes per line item,
// the set of those seen, which finds the donations in no report.
//
// The Report is a Go value; WriteTable prints it for people and
// encoding/json for programs.
package reconcile
