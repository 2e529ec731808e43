package api_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// billingSeeds are the runs CI makes; CELLGATE_BILLING_SEED=n replays one.
var billingSeeds = []uint64{1, 2, 3}

// billingYear is how long one run keeps the test clock moving.
const billingYear = 365 * 24 * time.Hour

// TestBillingInvariants is the property test of docs/billing.md §11:
// seeded random runs over about a year of the test clock on a billed
// project, through the HTTP API (create, advance, pay, void, credit, void
// credit note, cancel/resume/end, settings changes). A 5xx answer fails;
// a 409/422 refusal must change nothing. After every step the SQL checks
// of billing_invariants_sql_test.go hold:
//
//  1. per invoice total = subtotal − discount + tax + fees_total (and each
//     is the sum over lines/fees), 0 ≤ applied_balance ≤ total; per line
//     total = amount − discount + tax and tax = Σ taxes;
//  2. the issued (not voided) credit notes of an invoice, summed, stay
//     within the invoice per line (amount − discount), per tax, per fee
//     type and in total; credit notes exist only on paid invoices and
//     their own sums add up;
//  3. no (subscription_id, period_number) has two non-voided invoices;
//  4. every user_balances.amount ≥ 0 and equals Σ balance_entries of that
//     user and currency; every applied balance and userBalance credit note
//     has its ledger entry (and its reversal once voided);
//  5. a (subscription, period_number) has at most one paid invoice; a
//     live (active or restricted) billed subscription in period n has no
//     finalized invoice of a period < n (unpaid at renewal ends it); an
//     active billed subscription's invoice for its current period is paid,
//     or finalized and not overdue (overdue_since NULL), or finalized and
//     overdue while the overdue action in force at overdue_since was
//     `none` (the override, else the project setting at that instant);
//     voided invoices are not looked at;
//  6. every com.gigs.invoice.overdue event is preceded (time and id) by a
//     com.gigs.invoice.willBeOverdue of the same invoice, each at most once
//     per invoice, and an overdue invoice has warned_at ≤ overdue_since.
//
// Replay is exact up to the order of timers due at one instant, which the
// engine takes in id (wall-clock) order.
func TestBillingInvariants(t *testing.T) {
	t.Parallel()
	seeds := billingSeeds
	if s := os.Getenv("CELLGATE_BILLING_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CELLGATE_BILLING_SEED=%q: %v", s, err)
		}
		seeds = []uint64{n}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				r := newBillingRun(t, db, seed)
				t.Logf("seed %d (replay with CELLGATE_BILLING_SEED=%d)", seed, seed)
				t.Cleanup(func() {
					if t.Failed() {
						t.Logf("seed %d, operations:\n%s", seed, strings.Join(r.log, "\n"))
					}
				})
				r.run()
			})
		})
	}
}

// billingRun is one seeded random run on a billed test project.
type billingRun struct {
	*world
	db    *store.DB
	ctx   context.Context
	rng   *rand.Rand
	now   time.Time
	plans []string
	users []string
	addr  map[string]string // user → address
	subs  []string          // in creation order
	names map[string]string // id → short name for the log
	// subIndex is a subscription's place in subs, which replays keep.
	subIndex map[string]int
	// actions is the history of the project's invoiceOverdueAction, for
	// invariant 5.
	actions []actionSince
	step    int
	log     []string
	// Parsed line items and fees, which never change once written.
	invoiceDocs map[string]biInvoiceDoc
	noteDocs    map[string]biNoteDoc
}

type actionSince struct {
	at     time.Time
	action string
}

var (
	overdueActions = []string{"none", "end", "restrict"}
	// The 7-day plan renews several times within a monthly period.
	billingPlans = []map[string]any{
		{"name": "Monthly", "price": map[string]any{"amount": 1999, "currency": "USD"}},
		{"name": "Weekly", "price": map[string]any{"amount": 499, "currency": "USD"},
			"validity": map[string]any{"value": 7, "unit": "day", "type": "recurring"}},
	}
)

func newBillingRun(t *testing.T, db *store.DB, seed uint64) *billingRun {
	r := &billingRun{world: newWorld(t, db), db: db, ctx: context.Background(), rng: rand.New(rand.NewPCG(seed, seed^0x5eed)),
		now: worldStart, addr: map[string]string{}, names: map[string]string{}, subIndex: map[string]int{}, invoiceDocs: map[string]biInvoiceDoc{},
		noteDocs: map[string]biNoteDoc{}}
	action := r.pick(overdueActions)
	settings := map[string]any{"currency": "USD", "recoveryFeePercentage": 3, "advanceInvoicingDays": r.rng.IntN(8),
		"invoiceOverdueDays": r.rng.IntN(6), "invoiceOverdueAction": action, "paymentBehavior": "manual"}
	r.Patch(r.P(""), map[string]any{"billing": settings}).Expect(http.StatusOK)
	r.actions = []actionSince{{r.now, action}}
	r.logf("start, billing %s", billingJSON(settings))
	for _, p := range billingPlans {
		r.plans = append(r.plans, r.plan(p))
	}
	for i := range 3 {
		u := r.user(nil)
		r.users = append(r.users, u)
		r.names[u] = fmt.Sprintf("u%d", i)
		if i < 2 { // two users with a taxed address, one without
			r.addr[u] = r.address(u)
		}
	}
	return r
}

// run does random steps until the clock has moved a year, checking the
// invariants after each.
func (r *billingRun) run() {
	end := r.now.Add(billingYear)
	for r.step = 1; r.now.Before(end); r.step++ {
		r.randomStep()
		r.checkInvariants()
	}
	r.t.Logf("%d steps, %d subscriptions", r.step-1, len(r.subs))
}

func (r *billingRun) randomStep() {
	live := r.count(`SELECT COUNT(*) FROM subscriptions WHERE project_id = ? AND status <> 'ended'`)
	create := 3
	if live >= 10 {
		create = 0
	}
	ops := []struct {
		weight int
		do     func()
	}{
		{create, r.createSubscription}, {7, r.advance}, {4, r.payFirst}, {2, r.pay}, {1, r.voidInvoice}, {4, r.creditNote},
		{2, r.voidCreditNote}, {1, r.cancel}, {1, r.resume}, {1, r.end}, {1, r.patchSettings},
	}
	total := 0
	for _, op := range ops {
		total += op.weight
	}
	n := r.rng.IntN(total)
	for _, op := range ops {
		if n < op.weight {
			op.do()
			return
		}
		n -= op.weight
	}
}

func (r *billingRun) pick(from []string) string { return from[r.rng.IntN(len(from))] }

func (r *billingRun) logf(format string, args ...any) {
	r.log = append(r.log, fmt.Sprintf("#%d %s ", r.step, r.now.Format(time.RFC3339Nano))+fmt.Sprintf(format, args...))
}

// name is the short log name of an id (s3 for the fourth subscription).
func (r *billingRun) name(id string) string {
	if n, ok := r.names[id]; ok {
		return n + "(" + id + ")"
	}
	return id
}

// call performs a write: 2xx passes, 409/422 is an expected refusal that
// must leave the billing state as it was, anything else (5xx above all)
// fails the run.
func (r *billingRun) call(what, path string, body any) *apitest.Response {
	r.t.Helper()
	before := r.billingState()
	resp := r.Do(apitest.Request{Method: http.MethodPost, Path: path, Body: body})
	code := ""
	if resp.Status >= 400 {
		var e struct{ Code string }
		_ = json.Unmarshal(resp.Body, &e)
		code = " " + e.Code
	}
	r.logf("%s → %d%s", what, resp.Status, code)
	switch {
	case resp.Status < 300:
	case resp.Status == http.StatusConflict || resp.Status == http.StatusUnprocessableEntity:
		if after := r.billingState(); after != before {
			r.t.Fatalf("refused %s changed the state:\nbefore %s\nafter  %s", what, before, after)
		}
	default:
		r.t.Fatalf("%s answered %d: %s", what, resp.Status, resp.Body)
	}
	return resp
}

func (r *billingRun) createSubscription() {
	user := r.pick(r.users)
	body := map[string]any{"plan": r.pick(r.plans), "user": user, "sim": "auto"}
	if a, ok := r.addr[user]; ok && r.rng.IntN(3) > 0 {
		body["userAddress"] = a
	}
	over := map[string]any{}
	if r.rng.IntN(2) == 0 {
		over["invoiceOverdueDays"] = r.rng.IntN(6)
	}
	if r.rng.IntN(2) == 0 {
		over["invoiceOverdueAction"] = r.pick(overdueActions)
	}
	if len(over) > 0 || r.rng.IntN(4) == 0 {
		body["billing"] = over
	}
	desc, _ := json.Marshal(body)
	resp := r.call("create subscription "+string(desc), r.P("/subscriptions"), body)
	if resp.Status == http.StatusCreated {
		id := resp.ID()
		r.names[id], r.subIndex[id] = fmt.Sprintf("s%d", len(r.subs)), len(r.subs)
		r.subs = append(r.subs, id)
		r.logf("  = %s", r.name(id))
	}
}

// advance moves the clock by minutes to about 20 days, or lands on (or a
// second around) the next instants the timeline has planned: renewals,
// advance invoices, warnings, overdue deadlines.
func (r *billingRun) advance() {
	var to time.Time
	switch n := r.rng.IntN(20); {
	case n < 6:
		to = r.now.Add(time.Duration(1+r.rng.IntN(600)) * time.Minute)
	case n < 13: // log-uniform from an hour to 20 days
		to = r.now.Add(time.Duration(float64(time.Hour) * math.Pow(480, r.rng.Float64())))
	default:
		due := r.int64s(`SELECT due_at FROM timeline WHERE project_id = ? AND due_at > ? AND due_at <= ? ORDER BY due_at LIMIT 4`,
			r.Project, store.Micros(r.now), store.Micros(r.now.Add(20*24*time.Hour)))
		if len(due) == 0 {
			to = r.now.Add(time.Duration(1+r.rng.IntN(72)) * time.Hour)
			break
		}
		to = store.Time(due[r.rng.IntN(len(due))]).Add(time.Duration(r.rng.IntN(3)-1) * time.Second)
		if !to.After(r.now) {
			to = r.now.Add(time.Second)
		}
	}
	to = to.UTC().Truncate(time.Microsecond)
	resp := r.Post("/testing/projects/"+r.Project+"/clock/advance", map[string]any{"to": to.Format(time.RFC3339Nano)})
	r.now = to
	r.logf("advance → %d", resp.Status)
	resp.Expect(http.StatusOK)
}

// invoiceOf picks an invoice in the given status (and reason, if not
// empty); now and then any invoice, to exercise the refusals.
func (r *billingRun) invoiceOf(status, reason string) (string, bool) {
	if r.rng.IntN(6) == 0 {
		return r.pickInvoice("1 = 1")
	}
	if reason == "" {
		return r.pickInvoice("i.status = ?", status)
	}
	return r.pickInvoice("i.status = ? AND i.reason = ?", status, reason)
}

// pickInvoice picks one of the invoices matching cond. They are sorted by
// what a replay reproduces (ids are not): creation time, subscription,
// period, reason, status.
func (r *billingRun) pickInvoice(cond string, args ...any) (string, bool) {
	return r.pickSorted(`SELECT i.id, i.subscription_id, i.created_at, i.period_number, i.reason || i.status FROM invoices i
		WHERE i.project_id = ? AND `+cond, args...)
}

// pickSorted picks a row of q, which selects (id, subscription, time,
// number, text), after sorting on all but the id.
func (r *billingRun) pickSorted(q string, args ...any) (string, bool) {
	type row struct {
		id, sub, text string
		at, number    int64
	}
	rows, err := r.db.Query(r.ctx, q, append([]any{r.Project}, args...)...)
	if err != nil {
		r.t.Fatalf("%s: %v", q, err)
	}
	var all []row
	for rows.Next() {
		var x row
		if err := rows.Scan(&x.id, &x.sub, &x.at, &x.number, &x.text); err != nil {
			r.t.Fatal(err)
		}
		all = append(all, x)
	}
	rows.Close()
	if len(all) == 0 {
		return "", false
	}
	slices.SortFunc(all, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(r.subIndex[a.sub], r.subIndex[b.sub]), cmp.Compare(a.number, b.number),
			strings.Compare(a.text, b.text), strings.Compare(a.id, b.id))
	})
	return all[r.rng.IntN(len(all))].id, true
}

// payFirst pays creation invoices, so that subscriptions start; pay, less
// often, any invoice, so that renewal invoices stay unpaid for a while.
func (r *billingRun) payFirst() {
	if id, ok := r.invoiceOf("finalized", "subscriptionCreation"); ok {
		r.call("pay "+r.invoiceDesc(id), r.P("/invoices/"+id+"/pay"), nil)
	}
}

func (r *billingRun) pay() {
	id, ok := "", false
	if r.rng.IntN(2) == 0 { // an overdue one, which may restore its subscription
		id, ok = r.pickInvoice("i.status = 'finalized' AND i.overdue_since IS NOT NULL")
	}
	if !ok {
		id, ok = r.invoiceOf("finalized", "")
	}
	if ok {
		r.call("pay "+r.invoiceDesc(id), r.P("/invoices/"+id+"/pay"), nil)
	}
}

func (r *billingRun) voidInvoice() {
	if id, ok := r.invoiceOf("finalized", ""); ok {
		r.call("void "+r.invoiceDesc(id), r.P("/invoices/"+id+"/void"), nil)
	}
}

func (r *billingRun) invoiceDesc(id string) string {
	var sub, reason, status string
	var period int64
	err := r.db.QueryRow(r.ctx, `SELECT subscription_id, reason, status, period_number FROM invoices WHERE id = ?`, id).
		Scan(&sub, &reason, &status, &period)
	if err != nil {
		r.t.Fatalf("invoice %s: %v", id, err)
	}
	return fmt.Sprintf("%s [%s %s p%d %s]", id, r.name(sub), reason, period, status)
}

// creditNote credits a paid invoice in full or in part.
func (r *billingRun) creditNote() {
	id, ok := r.invoiceOf("paid", "")
	if !ok {
		return
	}
	body := map[string]any{"invoice": id}
	switch r.rng.IntN(3) {
	case 0:
		body["creditTo"] = "outOfBand"
	case 1:
		body["creditTo"] = "userBalance"
	}
	if r.rng.IntN(3) > 0 {
		r.partialCredit(body, id)
	}
	desc, _ := json.Marshal(body)
	resp := r.call("credit "+r.invoiceDesc(id)+" "+string(desc), r.P("/creditNotes"), body)
	if resp.Status == http.StatusCreated {
		r.logf("  = %s", resp.ID())
	}
}

// partialCredit names some lines, taxes and fees with random amounts:
// anything up to 110 % of the invoice's, or exactly what remains, or one
// more, so that refusals happen right at the limits.
func (r *billingRun) partialCredit(body map[string]any, id string) {
	lines, fees := r.invoiceParts(id)
	credited := issuedCredits(r.loadCreditNotes())[id]
	amount := func(level string, of int64) int64 {
		left := of - credited[level]
		switch n := r.rng.IntN(20); {
		case n < 8:
			return r.rng.Int64N(of*11/10 + 2)
		case n < 13:
			return left
		case n < 17:
			return left + 1
		default:
			return r.rng.Int64N(2)
		}
	}
	var items []any
	for _, l := range lines {
		if r.rng.IntN(5) == 0 {
			continue
		}
		item := map[string]any{"invoiceLineItem": l.ID, "amount": amount("line "+l.ID, l.Amount-l.Discount)}
		var taxes []any
		for _, x := range l.Taxes {
			if r.rng.IntN(2) == 0 {
				taxes = append(taxes, map[string]any{"invoiceTax": x.ID, "amount": amount("tax "+x.ID, x.Amount)})
			}
		}
		if len(taxes) > 0 {
			item["taxes"] = taxes
		}
		items = append(items, item)
	}
	var fs []any
	for _, f := range fees {
		if r.rng.IntN(2) == 0 {
			fs = append(fs, map[string]any{"type": f.Type, "amount": amount("fee "+f.Type, f.Amount)})
		}
	}
	switch {
	case len(items) > 0:
		body["lineItems"] = items
	case len(fs) == 0 || r.rng.IntN(2) == 0:
		body["lineItems"] = []any{} // credits nothing on lines, unlike leaving it out
	}
	if len(fs) > 0 {
		body["fees"] = fs
	}
}

func (r *billingRun) voidCreditNote() {
	cond := "c.status = 'issued'"
	if r.rng.IntN(8) == 0 {
		cond = "1 = 1"
	}
	id, ok := r.pickSorted(`SELECT c.id, i.subscription_id, c.created_at, i.period_number,
		c.status || c.origin || CAST(c.total AS TEXT) FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id
		WHERE c.project_id = ? AND ` + cond)
	if ok {
		r.call("void credit note "+id, r.P("/creditNotes/"+id+"/void"), nil)
	}
}

// subscriptionWhere picks a subscription matching cond, in creation order.
func (r *billingRun) subscriptionWhere(cond string) (string, bool) {
	match := map[string]bool{}
	for _, id := range r.strings(`SELECT id FROM subscriptions WHERE project_id = ? AND `+cond, r.Project) {
		match[id] = true
	}
	var ids []string
	for _, id := range r.subs {
		if match[id] {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return "", false
	}
	return ids[r.rng.IntN(len(ids))], true
}

func (r *billingRun) subscriptionAction(action, cond string) {
	if id, ok := r.subscriptionWhere(cond); ok {
		r.call(action+" "+r.name(id)+" ["+r.subStatus(id)+"]", r.P("/subscriptions/"+id+"/"+action), nil)
	}
}

func (r *billingRun) cancel() { r.subscriptionAction("cancel", "status <> 'ended'") }
func (r *billingRun) end()    { r.subscriptionAction("end", "status <> 'ended'") }
func (r *billingRun) resume() {
	if r.rng.IntN(5) == 0 {
		r.subscriptionAction("resume", "1 = 1")
		return
	}
	r.subscriptionAction("resume", "canceled_at IS NOT NULL AND status <> 'ended'")
}

func (r *billingRun) subStatus(id string) string {
	var status string
	var period *int64
	if err := r.db.QueryRow(r.ctx, `SELECT status, period_number FROM subscriptions WHERE id = ?`, id).Scan(&status, &period); err != nil {
		r.t.Fatalf("subscription %s: %v", id, err)
	}
	if period != nil {
		return fmt.Sprintf("%s p%d", status, *period)
	}
	return status
}

// patchSettings changes some of the project's billing settings.
func (r *billingRun) patchSettings() {
	change := map[string]any{}
	for len(change) == 0 {
		if r.rng.IntN(2) == 0 {
			change["advanceInvoicingDays"] = r.rng.IntN(8)
		}
		if r.rng.IntN(2) == 0 {
			change["invoiceOverdueDays"] = r.rng.IntN(6)
		}
		if r.rng.IntN(2) == 0 {
			change["invoiceOverdueAction"] = r.pick(overdueActions)
		}
		if r.rng.IntN(3) == 0 {
			change["paymentBehavior"] = []string{"manual", "manual", "automatic"}[r.rng.IntN(3)]
		}
		if r.rng.IntN(5) == 0 {
			change["taxBehavior"] = r.pick([]string{"exclusive", "inclusive"})
		}
	}
	resp := r.Patch(r.P(""), map[string]any{"billing": change})
	r.logf("patch billing %s → %d", billingJSON(change), resp.Status)
	resp.Expect(http.StatusOK)
	if a, ok := change["invoiceOverdueAction"].(string); ok {
		r.actions = append(r.actions, actionSince{r.now, a})
	}
}

func billingJSON(v map[string]any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// billingState is what a refused request must not change: row counts by
// status, the balances, the event log and the timers, in one query.
func (r *billingRun) billingState() string {
	parts := []string{
		"COUNT(*) FROM events", "COUNT(*) FROM timeline", "SUM(due_at) FROM timeline", "COUNT(*) FROM balance_entries",
		"SUM(amount) FROM user_balances", "COUNT(*) FROM invoices", "SUM(applied_balance) FROM invoices",
		"SUM(CASE WHEN status = 'paid' THEN 1 ELSE 0 END) FROM invoices",
		"SUM(CASE WHEN status = 'voided' THEN 1 ELSE 0 END) FROM invoices", "COUNT(*) FROM credit_notes",
		"SUM(CASE WHEN status = 'voided' THEN 1 ELSE 0 END) FROM credit_notes",
		"SUM(CASE WHEN status = 'active' THEN 1 WHEN status = 'restricted' THEN 100 WHEN status = 'ended' THEN 10000 ELSE 0 END) FROM subscriptions",
	}
	cols := make([]string, len(parts))
	args := make([]any, len(parts))
	vals := make([]int64, len(parts))
	ptrs := make([]any, len(parts))
	for i, p := range parts {
		expr, table, _ := strings.Cut(p, " FROM ")
		cols[i] = fmt.Sprintf("(SELECT CAST(COALESCE(%s, 0) AS BIGINT) FROM %s WHERE project_id = ?)", expr, table)
		args[i], ptrs[i] = r.Project, &vals[i]
	}
	if err := r.db.QueryRow(r.ctx, "SELECT "+strings.Join(cols, ", "), args...).Scan(ptrs...); err != nil {
		r.t.Fatalf("billing state: %v", err)
	}
	return fmt.Sprint(vals)
}

func (r *billingRun) strings(q string, args ...any) []string {
	r.t.Helper()
	rows, err := r.db.Query(r.ctx, q, args...)
	if err != nil {
		r.t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		r.t.Fatal(err)
	}
	return out
}

func (r *billingRun) int64s(q string, args ...any) []int64 {
	r.t.Helper()
	rows, err := r.db.Query(r.ctx, q, args...)
	if err != nil {
		r.t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		r.t.Fatal(err)
	}
	return out
}

func (r *billingRun) count(q string) int {
	r.t.Helper()
	var n int
	if err := r.db.QueryRow(r.ctx, q, r.Project).Scan(&n); err != nil {
		r.t.Fatalf("%s: %v", q, err)
	}
	return n
}
