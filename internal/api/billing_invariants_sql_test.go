package api_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"cellgate/internal/store"
)

// The SQL side of TestBillingInvariants: each check reads the project's
// rows and returns what breaks its invariant (numbered as in the test's
// doc comment).

type biLine struct {
	ID                           string
	Amount, Discount, Tax, Total int64
	Taxes                        []struct {
		ID     string
		Amount int64
	}
}

type biFee struct {
	Type   string
	Amount int64
}

type biInvoice struct {
	id, sub, status, reason                            string
	period                                             int64
	subtotal, discount, tax, feesTotal, total, applied int64
	lines                                              []biLine
	fees                                               []biFee
	warnedAt, overdueSince                             sql.NullInt64
}

type biCreditNote struct {
	id, invoice, status, creditTo   string
	subtotal, tax, feesTotal, total int64
	lines                           []biCreditLine
	fees                            []biFee
}

type biCreditLine struct {
	InvoiceLineItem string
	Amount, Tax     int64
	Taxes           []struct {
		InvoiceTax string
		Amount     int64
	}
}

func (r *billingRun) checkInvariants() {
	r.t.Helper()
	invs, notes := r.loadInvoices(), r.loadCreditNotes()
	var bad []string
	bad = append(bad, checkInvoiceSums(invs)...)
	bad = append(bad, checkCredits(invs, notes)...)
	bad = append(bad, checkOnePerPeriod(invs)...)
	bad = append(bad, r.checkBalances(invs, notes)...)
	bad = append(bad, r.checkPaidPeriods(invs)...)
	bad = append(bad, r.checkOverdueEvents(invs)...)
	if len(bad) > 0 {
		r.t.Fatalf("step %d (clock %s): invariants broken:\n%s", r.step, r.now.Format(time.RFC3339Nano), strings.Join(bad, "\n"))
	}
}

// loadInvoices reads the project's invoices; their line items and fees
// never change once written, so only new ones are read and parsed.
func (r *billingRun) loadInvoices() []*biInvoice {
	rows, err := r.db.Query(r.ctx, `SELECT id, subscription_id, status, reason, period_number, subtotal, discount, tax, fees_total,
		total, applied_balance, warned_at, overdue_since FROM invoices WHERE project_id = ? ORDER BY id`, r.Project)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []*biInvoice
	for rows.Next() {
		var inv biInvoice
		if err := rows.Scan(&inv.id, &inv.sub, &inv.status, &inv.reason, &inv.period, &inv.subtotal, &inv.discount, &inv.tax,
			&inv.feesTotal, &inv.total, &inv.applied, &inv.warnedAt, &inv.overdueSince); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, &inv)
	}
	rows.Close()
	for id, raw := range newDocuments(r, "invoices", out, func(inv *biInvoice) string { return inv.id }, r.invoiceDocs) {
		var d biInvoiceDoc
		r.parseDocument(id, raw, &d.lines, &d.fees)
		r.invoiceDocs[id] = d
	}
	for _, inv := range out {
		inv.lines, inv.fees = r.invoiceDocs[inv.id].lines, r.invoiceDocs[inv.id].fees
	}
	return out
}

// invoiceParts is what a credit note request may name on an invoice.
func (r *billingRun) invoiceParts(id string) ([]biLine, []biFee) {
	r.loadInvoices()
	d, ok := r.invoiceDocs[id]
	if !ok {
		r.t.Fatalf("invoice %s not found", id)
	}
	return d.lines, d.fees
}

type biInvoiceDoc struct {
	lines []biLine
	fees  []biFee
}

type biNoteDoc struct {
	lines []biCreditLine
	fees  []biFee
}

func (r *billingRun) loadCreditNotes() []*biCreditNote {
	rows, err := r.db.Query(r.ctx, `SELECT id, invoice_id, status, credit_to, subtotal, tax, fees_total, total
		FROM credit_notes WHERE project_id = ? ORDER BY id`, r.Project)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []*biCreditNote
	for rows.Next() {
		var n biCreditNote
		if err := rows.Scan(&n.id, &n.invoice, &n.status, &n.creditTo, &n.subtotal, &n.tax, &n.feesTotal, &n.total); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, &n)
	}
	rows.Close()
	for id, raw := range newDocuments(r, "credit_notes", out, func(n *biCreditNote) string { return n.id }, r.noteDocs) {
		var d biNoteDoc
		r.parseDocument(id, raw, &d.lines, &d.fees)
		r.noteDocs[id] = d
	}
	for _, n := range out {
		n.lines, n.fees = r.noteDocs[n.id].lines, r.noteDocs[n.id].fees
	}
	return out
}

// newDocuments reads line_items and fees of the rows not known yet.
func newDocuments[T, D any](r *billingRun, table string, rows []T, id func(T) string, known map[string]D) map[string][2]string {
	var missing []any
	for _, row := range rows {
		if _, ok := known[id(row)]; !ok {
			missing = append(missing, id(row))
		}
	}
	out := map[string][2]string{}
	for len(missing) > 0 {
		batch := missing[:min(len(missing), 100)]
		missing = missing[len(batch):]
		q := "SELECT id, line_items, fees FROM " + table + " WHERE id IN (?" + strings.Repeat(", ?", len(batch)-1) + ")"
		rows, err := r.db.Query(r.ctx, q, batch...)
		if err != nil {
			r.t.Fatal(err)
		}
		for rows.Next() {
			var id string
			var doc [2]string
			if err := rows.Scan(&id, &doc[0], &doc[1]); err != nil {
				r.t.Fatal(err)
			}
			out[id] = doc
		}
		rows.Close()
	}
	return out
}

func (r *billingRun) parseDocument(id string, raw [2]string, lines, fees any) {
	if err := json.Unmarshal([]byte(raw[0]), lines); err != nil {
		r.t.Fatalf("line_items of %s: %v", id, err)
	}
	if err := json.Unmarshal([]byte(raw[1]), fees); err != nil {
		r.t.Fatalf("fees of %s: %v", id, err)
	}
}

// checkInvoiceSums is invariant 1.
func checkInvoiceSums(invs []*biInvoice) []string {
	var bad []string
	for _, inv := range invs {
		if inv.total != inv.subtotal-inv.discount+inv.tax+inv.feesTotal || inv.applied < 0 || inv.applied > inv.total {
			bad = append(bad, fmt.Sprintf("1: invoice %s total %d ≠ %d − %d + %d + %d or applied %d outside [0, total]",
				inv.id, inv.total, inv.subtotal, inv.discount, inv.tax, inv.feesTotal, inv.applied))
		}
		var sub, disc, tax, fees int64
		for _, l := range inv.lines {
			var taxes int64
			for _, x := range l.Taxes {
				taxes += x.Amount
			}
			if l.Total != l.Amount-l.Discount+l.Tax || l.Tax != taxes {
				bad = append(bad, fmt.Sprintf("1: invoice %s line %+v: total ≠ amount − discount + tax or tax ≠ Σ taxes (%d)", inv.id, l, taxes))
			}
			sub, disc, tax = sub+l.Amount, disc+l.Discount, tax+l.Tax
		}
		for _, f := range inv.fees {
			fees += f.Amount
		}
		if sub != inv.subtotal || disc != inv.discount || tax != inv.tax || fees != inv.feesTotal {
			bad = append(bad, fmt.Sprintf("1: invoice %s columns (%d, %d, %d, %d) ≠ sums of lines and fees (%d, %d, %d, %d)",
				inv.id, inv.subtotal, inv.discount, inv.tax, inv.feesTotal, sub, disc, tax, fees))
		}
	}
	return bad
}

// checkCredits is invariant 2.
func checkCredits(invs []*biInvoice, notes []*biCreditNote) []string {
	byID := map[string]*biInvoice{}
	for _, inv := range invs {
		byID[inv.id] = inv
	}
	var bad []string
	for _, n := range notes {
		inv := byID[n.invoice]
		if inv == nil || inv.status != "paid" {
			bad = append(bad, fmt.Sprintf("2: credit note %s on invoice %s which is not paid (%v)", n.id, n.invoice, inv))
			continue
		}
		var sub, tax, fees int64
		for _, l := range n.lines {
			var taxes int64
			for _, x := range l.Taxes {
				taxes += x.Amount
			}
			if l.Tax != taxes {
				bad = append(bad, fmt.Sprintf("2: credit note %s line %+v: tax ≠ Σ taxes", n.id, l))
			}
			sub, tax = sub+l.Amount, tax+l.Tax
		}
		for _, f := range n.fees {
			fees += f.Amount
		}
		if sub != n.subtotal || tax != n.tax || fees != n.feesTotal || n.total != sub+tax+fees {
			bad = append(bad, fmt.Sprintf("2: credit note %s (%d, %d, %d, total %d) ≠ sums (%d, %d, %d)",
				n.id, n.subtotal, n.tax, n.feesTotal, n.total, sub, tax, fees))
		}
	}
	credited := issuedCredits(notes)
	for id, c := range credited {
		inv := byID[id]
		if inv == nil {
			continue // reported above
		}
		limit := map[string]int64{"total": inv.total}
		for _, l := range inv.lines {
			limit["line "+l.ID] = l.Amount - l.Discount
			for _, x := range l.Taxes {
				limit["tax "+x.ID] = x.Amount
			}
		}
		for _, f := range inv.fees {
			limit["fee "+f.Type] += f.Amount
		}
		for level, sum := range c {
			if max, ok := limit[level]; !ok || sum > max {
				bad = append(bad, fmt.Sprintf("2: invoice %s: issued credit notes credit %d at %s, invoice has %d (known: %v)",
					id, sum, level, max, ok))
			}
		}
	}
	sort.Strings(bad)
	return bad
}

// issuedCredits sums the issued credit notes per invoice and level: "line
// <id>", "tax <id>", "fee <type>" and "total".
func issuedCredits(notes []*biCreditNote) map[string]map[string]int64 {
	out := map[string]map[string]int64{}
	for _, n := range notes {
		if n.status != "issued" {
			continue
		}
		c := out[n.invoice]
		if c == nil {
			c = map[string]int64{}
			out[n.invoice] = c
		}
		for _, l := range n.lines {
			c["line "+l.InvoiceLineItem] += l.Amount
			for _, x := range l.Taxes {
				c["tax "+x.InvoiceTax] += x.Amount
			}
		}
		for _, f := range n.fees {
			c["fee "+f.Type] += f.Amount
		}
		c["total"] += n.total
	}
	return out
}

// checkOnePerPeriod is invariant 3 and the first half of 5.
func checkOnePerPeriod(invs []*biInvoice) []string {
	live, paid := map[string][]string{}, map[string][]string{}
	for _, inv := range invs {
		key := fmt.Sprintf("%s period %d", inv.sub, inv.period)
		if inv.status != "voided" {
			live[key] = append(live[key], inv.id+":"+inv.status)
		}
		if inv.status == "paid" {
			paid[key] = append(paid[key], inv.id)
		}
	}
	var bad []string
	for key, ids := range live {
		if len(ids) > 1 {
			bad = append(bad, fmt.Sprintf("3: %s has %d non-voided invoices: %v", key, len(ids), ids))
		}
	}
	for key, ids := range paid {
		if len(ids) > 1 {
			bad = append(bad, fmt.Sprintf("5: %s has %d paid invoices: %v", key, len(ids), ids))
		}
	}
	sort.Strings(bad)
	return bad
}

// checkBalances is invariant 4: the balance rows against the ledger, and
// the ledger against the invoices and credit notes that moved it.
func (r *billingRun) checkBalances(invs []*biInvoice, notes []*biCreditNote) []string {
	type entry struct {
		user, currency, source, id string
		amount                     int64
	}
	rows, err := r.db.Query(r.ctx, `SELECT user_id, currency, source_type, source_id, amount FROM balance_entries WHERE project_id = ?`, r.Project)
	if err != nil {
		r.t.Fatal(err)
	}
	sums, moved := map[string]int64{}, map[string]int64{}
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.user, &e.currency, &e.source, &e.id, &e.amount); err != nil {
			r.t.Fatal(err)
		}
		sums[e.user+" "+e.currency] += e.amount
		moved[e.source+" "+e.id] += e.amount
	}
	rows.Close()
	var bad []string
	rows, err = r.db.Query(r.ctx, `SELECT user_id, currency, amount FROM user_balances WHERE project_id = ?`, r.Project)
	if err != nil {
		r.t.Fatal(err)
	}
	for rows.Next() {
		var user, currency string
		var amount int64
		if err := rows.Scan(&user, &currency, &amount); err != nil {
			r.t.Fatal(err)
		}
		key := user + " " + currency
		if amount < 0 || amount != sums[key] {
			bad = append(bad, fmt.Sprintf("4: balance of %s %s = %d, Σ balance_entries = %d", r.name(user), currency, amount, sums[key]))
		}
		delete(sums, key)
	}
	rows.Close()
	for key, sum := range sums {
		if sum != 0 {
			bad = append(bad, fmt.Sprintf("4: %s has balance entries summing to %d and no balance row", key, sum))
		}
	}
	want := map[string]int64{}
	for _, inv := range invs {
		if inv.applied > 0 {
			want["invoice "+inv.id] = -inv.applied
			if inv.status == "voided" {
				want["invoiceVoid "+inv.id] = inv.applied
			}
		}
	}
	for _, n := range notes {
		if n.creditTo == "userBalance" && n.total > 0 {
			want["creditNote "+n.id] = n.total
			if n.status == "voided" {
				want["creditNoteVoid "+n.id] = -n.total
			}
		}
	}
	for key, amount := range want {
		if moved[key] != amount {
			bad = append(bad, fmt.Sprintf("4: ledger entry %s = %d, want %d", key, moved[key], amount))
		}
	}
	for key, amount := range moved {
		if _, ok := want[key]; !ok && amount != 0 {
			bad = append(bad, fmt.Sprintf("4: ledger entry %s = %d moves the balance for nothing", key, amount))
		}
	}
	sort.Strings(bad)
	return bad
}

// checkPaidPeriods is the second half of invariant 5.
func (r *billingRun) checkPaidPeriods(invs []*biInvoice) []string {
	type liveSub struct {
		status   string
		period   int64
		override sql.NullString
	}
	subs := map[string]liveSub{}
	rows, err := r.db.Query(r.ctx, `SELECT id, status, period_number, billing_overdue_action FROM subscriptions
		WHERE project_id = ? AND billed AND status IN ('active', 'restricted')`, r.Project)
	if err != nil {
		r.t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var s liveSub
		var period sql.NullInt64
		if err := rows.Scan(&id, &s.status, &period, &s.override); err != nil {
			r.t.Fatal(err)
		}
		s.period = period.Int64
		subs[id] = s
	}
	rows.Close()
	var bad []string
	for _, inv := range invs {
		s, ok := subs[inv.sub]
		if !ok || inv.status != "finalized" {
			continue
		}
		if inv.period < s.period {
			bad = append(bad, fmt.Sprintf("5: %s subscription %s in period %d still has unpaid %s invoice %s of period %d",
				s.status, r.name(inv.sub), s.period, inv.reason, inv.id, inv.period))
		}
		if s.status != "active" || inv.period != s.period || !inv.overdueSince.Valid {
			continue
		}
		at := store.Time(inv.overdueSince.Int64)
		actions := r.actionsAt(at)
		if s.override.Valid {
			actions = []string{s.override.String}
		}
		if !containsString(actions, "none") {
			bad = append(bad, fmt.Sprintf("5: active subscription %s has invoice %s of its period %d overdue since %s, action then %v",
				r.name(inv.sub), inv.id, inv.period, at.Format(time.RFC3339Nano), actions))
		}
	}
	sort.Strings(bad)
	return bad
}

// actionsAt is the project's overdue action in force at an instant: the
// last one set before it, and any set at that very instant (a change made
// right after the clock stopped there may come before or after the timer).
func (r *billingRun) actionsAt(at time.Time) []string {
	var out []string
	for _, a := range r.actions {
		switch {
		case a.at.Before(at):
			out = []string{a.action}
		case a.at.Equal(at):
			out = append(out, a.action)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checkOverdueEvents is invariant 6. Ids of one process grow with every
// event, so id order is recording order.
func (r *billingRun) checkOverdueEvents(invs []*biInvoice) []string {
	rows, err := r.db.Query(r.ctx, `SELECT id, type, subject, time FROM events WHERE project_id = ? AND type IN (?, ?)`,
		r.Project, "com.gigs.invoice.willBeOverdue", "com.gigs.invoice.overdue")
	if err != nil {
		r.t.Fatal(err)
	}
	type ev struct {
		id   string
		time int64
	}
	warned, overdue := map[string][]ev{}, map[string][]ev{}
	for rows.Next() {
		var e ev
		var typ, subject string
		if err := rows.Scan(&e.id, &typ, &subject, &e.time); err != nil {
			r.t.Fatal(err)
		}
		if strings.HasSuffix(typ, "willBeOverdue") {
			warned[subject] = append(warned[subject], e)
		} else {
			overdue[subject] = append(overdue[subject], e)
		}
	}
	rows.Close()
	var bad []string
	for inv, evs := range overdue {
		w := warned[inv]
		if len(evs) > 1 || len(w) > 1 {
			bad = append(bad, fmt.Sprintf("6: invoice %s has %d overdue and %d willBeOverdue events", inv, len(evs), len(w)))
		}
		if len(w) == 0 || w[0].time > evs[0].time || w[0].id >= evs[0].id {
			bad = append(bad, fmt.Sprintf("6: invoice.overdue %v of %s not preceded by invoice.willBeOverdue (%v)", evs, inv, w))
		}
	}
	for _, inv := range invs {
		if inv.overdueSince.Valid && (!inv.warnedAt.Valid || inv.warnedAt.Int64 > inv.overdueSince.Int64) {
			bad = append(bad, fmt.Sprintf("6: invoice %s overdue since %d, warned at %v", inv.id, inv.overdueSince.Int64, inv.warnedAt))
		}
	}
	sort.Strings(bad)
	return bad
}
