package console

import (
	"context"
	"time"

	"cellgate/internal/billing"
	"cellgate/internal/payments"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/vouchers"
)

// The billing pages beyond invoices: payments with their refunds, and
// vouchers. Refunds and retirements go through the same services as the
// API (billing.Invoices.RefundPayment issues the credit note).

func init() {
	Register(
		Page{Route: "GET /payments", Nav: "Payments", Order: 42, Handle: (*Console).paymentList},
		Page{Route: "GET /payments/{payment}", Handle: (*Console).payment},
		Page{Route: "POST /payments/{payment}/refund", Handle: (*Console).refundPayment},
		Page{Route: "GET /vouchers", Nav: "Vouchers", Order: 44, Handle: (*Console).voucherList},
		Page{Route: "POST /vouchers/{voucher}/retire", Handle: (*Console).retireVoucher},
	)
}

type paymentsData struct {
	Status   string
	Statuses []string
	Payments []*payments.Payment
	Pager    pager
}

func (c *Console) paymentList(rq *request) (*answer, error) {
	p, err := pageOf(rq)
	if err != nil {
		return nil, err
	}
	var f payments.Filter
	if f.Status, err = filter(rq, "status", payments.Statuses...); err != nil {
		return nil, err
	}
	if f.User, err = idFilter(rq, "user"); err != nil {
		return nil, err
	}
	if f.Invoice, err = idFilter(rq, "invoice"); err != nil {
		return nil, err
	}
	page, err := payments.List(rq.ctx, c.db, rq.project.ID, f, p)
	if err != nil {
		return nil, err
	}
	return &answer{page: "payments", data: paymentsData{Status: f.Status, Statuses: payments.Statuses, Payments: page.Items, Pager: pagerOf(rq, page)}}, nil
}

type paymentData struct {
	Payment     *payments.Payment
	CreditNotes []*billing.CreditNote
	// Refundable is what is paid and not refunded yet.
	Refundable int64
}

func (c *Console) payment(rq *request) (*answer, error) {
	id, err := pathID(rq, "payment", "payment")
	if err != nil {
		return nil, err
	}
	d := paymentData{}
	if d.Payment, err = payments.Get(rq.ctx, c.db, rq.project.ID, id); err != nil {
		return nil, err
	}
	notes, err := billing.ListCreditNotes(rq.ctx, c.db, rq.project.ID, d.Payment.Invoice, store.Page{Limit: pageSize})
	if err != nil {
		return nil, err
	}
	d.CreditNotes = notes.Items
	if d.Payment.Status == payments.StatusSucceeded {
		d.Refundable = d.Payment.Amount.Amount - d.Payment.Refunded.Amount
	}
	return &answer{page: "payment", data: d}, nil
}

// refundPayment refunds an amount (empty: all that is left), with the
// API's checks: only a succeeded payment, never more than was paid.
func (c *Console) refundPayment(rq *request) (*answer, error) {
	id, err := pathID(rq, "payment", "payment")
	if err != nil {
		return nil, err
	}
	var in payments.RefundInput
	amount, ok, err := formAmount(rq, "amount")
	if err != nil {
		return nil, err
	}
	if ok {
		in.Amount = &amount
	}
	err = c.act(rq, func(ctx context.Context, tx *store.Tx, now time.Time) error {
		_, err := c.platform.Invoices.RefundPayment(ctx, tx, rq.project.ID, id, in, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rq.redirectf("/payments/%s", id), nil
}

type vouchersData struct {
	Status   string
	Statuses []string
	Vouchers []*vouchers.Voucher
	Pager    pager
}

func (c *Console) voucherList(rq *request) (*answer, error) {
	p, err := pageOf(rq)
	if err != nil {
		return nil, err
	}
	var f vouchers.Filter
	if f.Status, err = filter(rq, "status", vouchers.StatusAvailable, vouchers.StatusRetired); err != nil {
		return nil, err
	}
	now, err := projects.Now(rq.ctx, c.db, rq.project.ID)
	if err != nil {
		return nil, err
	}
	page, err := vouchers.List(rq.ctx, c.db, rq.project.ID, f, p, now)
	if err != nil {
		return nil, err
	}
	return &answer{page: "vouchers", data: vouchersData{Status: f.Status, Statuses: []string{vouchers.StatusAvailable, vouchers.StatusRetired},
		Vouchers: page.Items, Pager: pagerOf(rq, page)}}, nil
}

func (c *Console) retireVoucher(rq *request) (*answer, error) {
	id, err := pathID(rq, "voucher", "voucher")
	if err != nil {
		return nil, err
	}
	err = c.act(rq, func(ctx context.Context, tx *store.Tx, now time.Time) error {
		_, err := vouchers.Retire(ctx, tx, rq.project.ID, id, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rq.redirectf("/vouchers"), nil
}
