package payments

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/store"
)

// SimulatorID is the provider id of the built-in simulator.
const SimulatorID = "simulator"

// TestCard is one of the simulator's documented cards (docs/payments.md).
type TestCard struct {
	Number, Token, Brand, Behavior string
}

// Behaviors of the test cards.
const (
	behaveSucceed     = "succeeds"
	behaveInsufficent = "insufficientFunds"
	behaveDeclineOnce = "declineOnce"
	behaveDisputeLost = "disputeLost"
	behaveDisputeWon  = "disputeWon"
	behaveConfirm     = "requiresConfirmation"
)

// TestCards are the simulator's cards. A token names the card without its
// number, so numbers never travel past the tokenizer.
var TestCards = []TestCard{
	{"4242424242424242", "tok_sim_visa", "visa", behaveSucceed},
	{"5555555555554444", "tok_sim_mastercard", "mastercard", behaveSucceed},
	{"4000000000009995", "tok_sim_insufficientFunds", "visa", behaveInsufficent},
	{"4000000000000341", "tok_sim_declineOnce", "visa", behaveDeclineOnce},
	{"4000000000000259", "tok_sim_disputeLost", "visa", behaveDisputeLost},
	{"4000000000001976", "tok_sim_disputeWon", "visa", behaveDisputeWon},
	{"4000002500003155", "tok_sim_requiresConfirmation", "visa", behaveConfirm},
}

// Dispute timing of the disputed cards, from the charge.
const (
	simDisputeOpens  = 2 * 24 * time.Hour
	simDisputeCloses = 9 * 24 * time.Hour
)

// Tokenize is the simulator's client side: it turns a test card number
// into its token. Any other number is refused as a real processor would.
func Tokenize(number string) (string, error) {
	number = strings.ReplaceAll(number, " ", "")
	for _, c := range TestCards {
		if c.Number == number {
			return c.Token, nil
		}
	}
	return "", errs.Invalid("paymentCardNumberInvalid", "The card number is not one of the simulator's test cards.").
		WithHint("Use a test card of docs/payments.md.")
}

func cardOfToken(token string) (TestCard, bool) {
	for _, c := range TestCards {
		if c.Token == token {
			return c, true
		}
	}
	return TestCard{}, false
}

// Simulator is the built-in provider: deterministic, driven by the
// project's clock, keeping its books in its own tables as a provider
// would on its side. Latency, when set, is spent after a charge is booked
// and before it is answered: the window in which a crash leaves cellgate
// without the answer.
type Simulator struct {
	DB      *store.DB
	Latency time.Duration
}

// ID implements Provider.
func (s *Simulator) ID() string { return SimulatorID }

// CreateCustomer implements Provider: the simulator's customer is the user.
func (s *Simulator) CreateCustomer(_ context.Context, _ string, c Customer) (string, error) {
	return "simcus_" + c.User, nil
}

// AttachMethod implements Provider.
func (s *Simulator) AttachMethod(_ context.Context, _, _, token string) (Method, error) {
	card, ok := cardOfToken(token)
	if !ok {
		return Method{}, errs.Invalid("paymentMethodAccountInvalid", "The token is not one the simulator made.").
			WithHint("Tokens of the simulator are listed in docs/payments.md.")
	}
	m := Method{Ref: "simpm_" + card.Behavior + "_" + randomHex(8), Type: "card", Brand: card.Brand,
		Last4: card.Number[len(card.Number)-4:], Status: "available"}
	if card.Behavior == behaveConfirm {
		m.Status, m.ClientSecret = "requiresConfirmation", m.Ref+"_secret_"+randomHex(8)
	}
	return m, nil
}

func behaviorOf(methodRef string) string {
	rest, _ := strings.CutPrefix(methodRef, "simpm_")
	b, _, _ := strings.Cut(rest, "_")
	return b
}

// Charge implements Provider. A key seen before gets its first answer.
func (s *Simulator) Charge(ctx context.Context, c ChargeRequest) (ChargeResult, error) {
	var res ChargeResult
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var outcome string
		var code sql.NullString
		var at int64
		err := tx.QueryRow(ctx, `SELECT outcome, decline_code, created_at FROM payment_simulator_charges WHERE idempotency_key = ?`, c.Key).
			Scan(&outcome, &code, &at)
		if err == nil {
			res = simResult(c.Key, c.Method, outcome, code.String, store.Time(at))
			_, err = tx.Exec(ctx, `UPDATE payment_simulator_charges SET calls = calls + 1 WHERE idempotency_key = ?`, c.Key)
			return err
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		outcome, decline, err := s.decide(ctx, tx, c.Method)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO payment_simulator_charges (idempotency_key, project_id, method_ref, amount, currency, outcome, decline_code, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.Key, c.Project, c.Method, c.Amount, c.Currency, outcome,
			sql.NullString{String: decline, Valid: decline != ""}, store.Micros(c.Now)); err != nil {
			return err
		}
		res = simResult(c.Key, c.Method, outcome, decline, c.Now)
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("simulator charge: %w", err)
	}
	if s.Latency > 0 {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(s.Latency):
		}
	}
	return res, nil
}

// decide is a new charge's outcome on the method's card.
func (s *Simulator) decide(ctx context.Context, tx *store.Tx, method string) (string, string, error) {
	switch behaviorOf(method) {
	case "":
		return ChargeDeclined, "paymentMethodRequired", nil
	case behaveInsufficent:
		return ChargeDeclined, "paymentCardInsufficientFunds", nil
	case behaveConfirm:
		return ChargeDeclined, "paymentMethodDeclined", nil
	case behaveDeclineOnce:
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM payment_simulator_charges WHERE method_ref = ?`, method).Scan(&n); err != nil {
			return "", "", err
		}
		if n == 0 {
			return ChargeDeclined, "paymentCardDeclined", nil
		}
	}
	return ChargeSucceeded, "", nil
}

var declineMessages = map[string]string{
	"paymentMethodRequired":        "No payment method to charge.",
	"paymentCardInsufficientFunds": "The card has insufficient funds.",
	"paymentMethodDeclined":        "The payment method must be confirmed by its holder.",
	"paymentCardDeclined":          "The card was declined.",
}

func simResult(key, method, outcome, code string, at time.Time) ChargeResult {
	if outcome == ChargeDeclined {
		return ChargeResult{Status: ChargeDeclined, Code: code, Message: declineMessages[code]}
	}
	res := ChargeResult{Status: ChargeSucceeded, Ref: "simch_" + key}
	if b := behaviorOf(method); b == behaveDisputeLost || b == behaveDisputeWon {
		opens := at.Add(simDisputeOpens)
		res.CheckDisputeAt = &opens
	}
	return res
}

// Refund implements Provider.
func (s *Simulator) Refund(ctx context.Context, r RefundRequest) (RefundResult, error) {
	charge, _ := strings.CutPrefix(r.ChargeRef, "simch_")
	_, err := s.DB.Exec(ctx, `INSERT INTO payment_simulator_refunds (idempotency_key, project_id, charge_key, amount, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING`, r.Key, r.Project, charge, r.Amount, store.Micros(r.Now))
	if err != nil {
		return RefundResult{}, fmt.Errorf("simulator refund: %w", err)
	}
	return RefundResult{Ref: "simre_" + r.Key, Status: ChargeSucceeded}, nil
}

// Dispute implements Provider: the disputed cards' charges are disputed
// two days after the charge and the dispute closes seven days later.
func (s *Simulator) Dispute(ctx context.Context, chargeRef string, now time.Time) (DisputeState, error) {
	key, _ := strings.CutPrefix(chargeRef, "simch_")
	var method string
	var at int64
	err := s.DB.QueryRow(ctx, `SELECT method_ref, created_at FROM payment_simulator_charges WHERE idempotency_key = ?`, key).Scan(&method, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return DisputeState{}, nil
	}
	if err != nil {
		return DisputeState{}, fmt.Errorf("simulator dispute: %w", err)
	}
	b := behaviorOf(method)
	charged := store.Time(at)
	opens, closes := charged.Add(simDisputeOpens), charged.Add(simDisputeCloses)
	switch {
	case b != behaveDisputeLost && b != behaveDisputeWon, now.Before(opens):
		return DisputeState{}, nil
	case now.Before(closes):
		return DisputeState{Status: DisputeOpen, NextCheckAt: &closes}, nil
	case b == behaveDisputeLost:
		return DisputeState{Status: DisputeLost, ClosedAt: &closes}, nil
	}
	return DisputeState{Status: DisputeWon, ClosedAt: &closes}, nil
}

// Ledger is what the simulator saw of one idempotency key: the calls
// made with it and the charges it booked (money moved at most once).
type Ledger struct {
	Key            string
	Calls, Charges int
}

// Ledgers reads the simulator's books for a project, for the tests that
// count charges per key.
func (s *Simulator) Ledgers(ctx context.Context, project string) ([]Ledger, error) {
	return store.All(ctx, s.DB, func(row store.Scanner) (Ledger, error) {
		var l Ledger
		err := row.Scan(&l.Key, &l.Calls, &l.Charges)
		return l, err
	}, `SELECT idempotency_key, calls, CASE WHEN outcome = 'succeeded' THEN 1 ELSE 0 END FROM payment_simulator_charges
		WHERE project_id = ? ORDER BY idempotency_key`, project)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
