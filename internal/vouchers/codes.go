package vouchers

import (
	"context"
	"database/sql"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/store"
)

// Code is a code a voucher is redeemed with (a sub-resource).
type Code struct {
	Object    string    `json:"object"`
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	CreatedAt time.Time `json:"createdAt"`
	Voucher   string    `json:"voucher"`
}

// CodeInput is the body of POST /vouchers/{id}/codes.
type CodeInput struct {
	Code string `json:"code"`
}

func recordCreated(ctx context.Context, tx *store.Tx, project string, v *Voucher, now time.Time) error {
	return events.Record(ctx, tx, project, "voucher.created", v.ID, v, now)
}

// AddCode gives a voucher one more code; a code is unique in the project.
func AddCode(ctx context.Context, tx *store.Tx, project, voucher string, in CodeInput, now time.Time) (*Code, error) {
	if _, err := load(ctx, tx, project, voucher, store.LockInTx(tx)); err != nil {
		return nil, err
	}
	if err := checkCode(in.Code); err != nil {
		return nil, err
	}
	return addCode(ctx, tx, project, voucher, in.Code, now)
}

func addCode(ctx context.Context, tx *store.Tx, project, voucher, code string, now time.Time) (*Code, error) {
	c := &Code{Object: "voucherCode", ID: newID(), Code: code, CreatedAt: now, Voucher: voucher}
	_, err := tx.Exec(ctx, `INSERT INTO voucher_codes (id, project_id, voucher_id, code, created_at) VALUES (?, ?, ?, ?, ?)`,
		c.ID, project, voucher, code, store.Micros(now))
	if store.IsUniqueViolation(err) {
		return nil, errs.Conflict("voucherCodeAlreadyExists", "The code %q is already a voucher code of the project.", code)
	}
	return c, err
}

// ListCodes pages through a voucher's codes, newest first.
func ListCodes(ctx context.Context, q store.Querier, project, voucher string, p store.Page) (store.PageOf[*Code], error) {
	if _, err := load(ctx, q, project, voucher, ""); err != nil {
		return store.PageOf[*Code]{}, err
	}
	lq := &store.ListQuery{Select: `SELECT id, code, created_at, voucher_id FROM voucher_codes`}
	lq.Where("project_id = ? AND voucher_id = ?", project, voucher)
	return store.List(ctx, q, lq, p, func(rows *sql.Rows) (*Code, string, error) {
		c := &Code{Object: "voucherCode"}
		var at int64
		err := rows.Scan(&c.ID, &c.Code, &at, &c.Voucher)
		c.CreatedAt = store.Time(at)
		return c, c.ID, err
	})
}
