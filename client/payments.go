package client

import (
	"context"
	"encoding/json"
	"time"
)

// Payment methods, payments, vouchers and the user balance
// (docs/payments.md).

// PaymentSettings is schema PaymentSettings: the project's payment
// provider and retry schedule.
type PaymentSettings struct {
	Object            string          `json:"object"`
	Provider          *string         `json:"provider"`
	RetryScheduleDays []int           `json:"retryScheduleDays"`
	Stripe            json.RawMessage `json:"stripe"`
}

// PaymentMethod is schema PaymentMethod. ClientSecret is set while the
// provider needs the user to confirm the method.
type PaymentMethod struct {
	Object       string    `json:"object"`
	ID           string    `json:"id"`
	Brand        *string   `json:"brand"`
	ClientSecret *string   `json:"clientSecret"`
	CreatedAt    time.Time `json:"createdAt"`
	Default      bool      `json:"default"`
	Last4        *string   `json:"last4"`
	Provider     string    `json:"provider"`
	Status       string    `json:"status"`
	Type         string    `json:"type"`
	User         string    `json:"user"`
}

// PaymentMethodCreate is schema PaymentMethodCreate: a provider's token
// for a card, never the card number.
type PaymentMethodCreate struct {
	User  string `json:"user"`
	Token string `json:"token"`
}

// Payment is schema Payment: the collection of one invoice.
type Payment struct {
	Object          string          `json:"object"`
	ID              string          `json:"id"`
	Amount          Price           `json:"amount"`
	AttemptedAt     *time.Time      `json:"attemptedAt"`
	CreatedAt       time.Time       `json:"createdAt"`
	Discount        Price           `json:"discount"`
	DisputeClosedAt *time.Time      `json:"disputeClosedAt"`
	DisputeOutcome  string          `json:"disputeOutcome"`
	FailedAttempts  int             `json:"failedAttempts"`
	FailureCode     *string         `json:"failureCode"`
	FailureMessage  *string         `json:"failureMessage"`
	Invoice         string          `json:"invoice"`
	InvoiceNumber   *string         `json:"invoiceNumber"`
	Method          *string         `json:"method"`
	Reason          string          `json:"reason"`
	Receipt         json.RawMessage `json:"receipt"`
	References      []string        `json:"references"`
	Refunded        Price           `json:"refunded"`
	Status          string          `json:"status"`
	User            string          `json:"user"`
}

// PaymentRefund is schema PaymentRefund: Amount 0 refunds what is left.
type PaymentRefund struct {
	Amount int64 `json:"amount,omitempty"`
}

// UserBalance is schema UserBalance: the user's credit per currency and
// the ledger entries behind it.
type UserBalance struct {
	Object  string            `json:"object"`
	User    string            `json:"user"`
	Amounts []Price           `json:"amounts"`
	Entries []json.RawMessage `json:"entries"`
}

// PaymentToken is schema PaymentToken: a test project's stand-in for the
// token a provider's card field returns.
type PaymentToken struct {
	Object string `json:"object"`
	ID     string `json:"id"`
}

// Voucher is schema Voucher.
type Voucher struct {
	Object                  string          `json:"object"`
	ID                      string          `json:"id"`
	CreatedAt               time.Time       `json:"createdAt"`
	Name                    string          `json:"name"`
	PriceDiscount           *Price          `json:"priceDiscount"`
	PriceDiscountPercentage *int            `json:"priceDiscountPercentage"`
	Recurrence              json.RawMessage `json:"recurrence"`
	Restrictions            json.RawMessage `json:"restrictions"`
	Redemptions             int             `json:"redemptions"`
	RetiredReason           *string         `json:"retiredReason"`
	Status                  string          `json:"status"`
}

// VoucherCode is schema VoucherCode.
type VoucherCode struct {
	Object    string    `json:"object"`
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	CreatedAt time.Time `json:"createdAt"`
	Voucher   string    `json:"voucher"`
}

func (c *Client) GetPaymentSettings(ctx context.Context) (*PaymentSettings, error) {
	return do[PaymentSettings](ctx, c, "getPaymentSettings", nil, nil, nil)
}
func (c *Client) UpdatePaymentSettings(ctx context.Context, f Fields) (*PaymentSettings, error) {
	return do[PaymentSettings](ctx, c, "updatePaymentSettings", nil, nil, f)
}

func (c *Client) CreatePaymentMethod(ctx context.Context, in PaymentMethodCreate) (*PaymentMethod, error) {
	return do[PaymentMethod](ctx, c, "createPaymentMethod", nil, nil, in)
}

// ListPaymentMethods: Filters take user.
func (c *Client) ListPaymentMethods(ctx context.Context, p Page) (*List[PaymentMethod], error) {
	return do[List[PaymentMethod]](ctx, c, "listPaymentMethods", nil, &p, nil)
}
func (c *Client) GetPaymentMethod(ctx context.Context, id string) (*PaymentMethod, error) {
	return do[PaymentMethod](ctx, c, "getPaymentMethod", ids(id), nil, nil)
}
func (c *Client) DeletePaymentMethod(ctx context.Context, id string) (*PaymentMethod, error) {
	return do[PaymentMethod](ctx, c, "deletePaymentMethod", ids(id), nil, struct{}{})
}

// ListPayments: Filters take invoice, user and status.
func (c *Client) ListPayments(ctx context.Context, p Page) (*List[Payment], error) {
	return do[List[Payment]](ctx, c, "listPayments", nil, &p, nil)
}
func (c *Client) GetPayment(ctx context.Context, id string) (*Payment, error) {
	return do[Payment](ctx, c, "getPayment", ids(id), nil, nil)
}

// RefundPayment refunds in full or in part and issues the matching credit
// note.
func (c *Client) RefundPayment(ctx context.Context, id string, in PaymentRefund) (*Payment, error) {
	return do[Payment](ctx, c, "refundPayment", ids(id), nil, in)
}
func (c *Client) GetUserBalance(ctx context.Context, user string) (*UserBalance, error) {
	return do[UserBalance](ctx, c, "getUserBalance", ids(user), nil, nil)
}
func (c *Client) GetQuote(ctx context.Context, id string) (*Quote, error) {
	return do[Quote](ctx, c, "getQuote", ids(id), nil, nil)
}

// CreatePaymentToken makes a simulator token for a test card number (test
// projects only; docs/testing.md lists the cards).
func (c *Client) CreatePaymentToken(ctx context.Context, number string) (*PaymentToken, error) {
	return do[PaymentToken](ctx, c, "createPaymentToken", nil, nil, map[string]string{"number": number})
}

// CreateVoucher takes the voucher as the document's VoucherCreate
// describes it.
func (c *Client) CreateVoucher(ctx context.Context, in Fields) (*Voucher, error) {
	return do[Voucher](ctx, c, "createVoucher", nil, nil, in)
}

// ListVouchers: Filters take code (and status[] through the query).
func (c *Client) ListVouchers(ctx context.Context, p Page) (*List[Voucher], error) {
	return do[List[Voucher]](ctx, c, "listVouchers", nil, &p, nil)
}
func (c *Client) GetVoucher(ctx context.Context, id string) (*Voucher, error) {
	return do[Voucher](ctx, c, "getVoucher", ids(id), nil, nil)
}
func (c *Client) RetireVoucher(ctx context.Context, id string) (*Voucher, error) {
	return do[Voucher](ctx, c, "retireVoucher", ids(id), nil, struct{}{})
}
func (c *Client) CreateVoucherCode(ctx context.Context, voucher, code string) (*VoucherCode, error) {
	return do[VoucherCode](ctx, c, "createVoucherCode", ids(voucher), nil, map[string]string{"code": code})
}
func (c *Client) ListVoucherCodes(ctx context.Context, voucher string, p Page) (*List[VoucherCode], error) {
	return do[List[VoucherCode]](ctx, c, "listVoucherCodes", ids(voucher), &p, nil)
}
