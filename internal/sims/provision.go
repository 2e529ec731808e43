package sims

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/ids"
	"cellgate/internal/metadata"
	"cellgate/internal/network"
	"cellgate/internal/outbound"
	"cellgate/internal/store"
	"cellgate/internal/timeline"
)

// Placeholders that test projects accept in place of a SIM id: each use
// creates a new test SIM (reference §1.9).
const (
	PlaceholderPSIM = "sim_test_psim"
	PlaceholderESIM = "sim_test_esim"
)

// testICCIDPrefix starts the ICCIDs of placeholder SIMs.
const testICCIDPrefix = "8942424242"

// ProvisionESIM allocates a new eSIM in the provider's ICCID range and
// stores it, inactive; the carrier registers its profile after commit
// (OpRegisterESIM).
func ProvisionESIM(ctx context.Context, tx *store.Tx, carriers *network.Registry, project, provider string, now time.Time) (*Record, error) {
	r := newRecord(project, provider, TypeESIM, now)
	esim, err := register(ctx, tx, carriers, r, "", now)
	if err != nil {
		return nil, err
	}
	r.ICCID = esim.ICCID
	return r, insert(ctx, tx, r, esim.ActivationCode)
}

// OpRegisterESIM is the outbound operation that registers an eSIM profile
// at its carrier (SM-DP+), its subject the SIM.
const OpRegisterESIM = "carrier.registerESIM"

// register allocates the SIM's eSIM (with iccid instead of the allocated
// one when given) and records the call that registers its profile at the
// carrier. Calls about a SIM run in turn, so the registration reaches the
// carrier before the line's activation.
func register(ctx context.Context, tx *store.Tx, carriers *network.Registry, r *Record, iccid string, now time.Time) (network.ESIM, error) {
	info, ok := carriers.Info(r.Provider)
	if !ok {
		return network.ESIM{}, fmt.Errorf("sims: unknown provider %q", r.Provider)
	}
	esim := network.AllocateESIM(info, r.ID)
	if iccid != "" {
		esim.ICCID = iccid
	}
	_, err := outbound.Enqueue(ctx, tx, outbound.Request{Project: r.Project, Kind: OpRegisterESIM, Subject: r.ID, Target: r.Provider,
		Payload: network.ProvisionRequest{ICCID: esim.ICCID, MatchingID: esim.MatchingID, SMDPHost: info.SMDPHost}, DueAt: now})
	return esim, err
}

// Operations are the SIM inventory's outbound operation kinds.
func Operations(carriers *network.Registry) outbound.Kinds {
	return outbound.Kinds{OpRegisterESIM: {
		Perform: func(ctx context.Context, op outbound.Operation, now time.Time) (any, error) {
			var req network.ProvisionRequest
			if err := op.Decode(&req); err != nil {
				return nil, outbound.PermanentError(err)
			}
			carrier, err := carriers.Provider(op.Target)
			if err != nil {
				return nil, outbound.PermanentError(err)
			}
			req.Meta = network.Meta{Key: op.IdempotencyKey(), Project: op.Project, Now: now}
			return nil, carrier.ProvisionESIM(ctx, req)
		},
		Apply: func(context.Context, *store.Tx, outbound.Operation, json.RawMessage, time.Time) error { return nil },
	}}
}

// CreatePlaceholderSIM makes the test SIM a placeholder id stands for.
func CreatePlaceholderSIM(ctx context.Context, tx *store.Tx, carriers *network.Registry, project, provider, placeholder string, now time.Time) (*Record, error) {
	typ := TypePSIM
	if placeholder == PlaceholderESIM {
		typ = TypeESIM
	}
	r := newRecord(project, provider, typ, now)
	sum := sha256.Sum256([]byte(r.ID))
	r.ICCID = fmt.Sprintf("%s%09d", testICCIDPrefix, binary.BigEndian.Uint64(sum[:8])%1_000_000_000)
	code := ""
	if typ == TypeESIM {
		esim, err := register(ctx, tx, carriers, r, r.ICCID, now)
		if err != nil {
			return nil, err
		}
		code = esim.ActivationCode
	}
	return r, insert(ctx, tx, r, code)
}

func newRecord(project, provider, typ string, now time.Time) *Record {
	return &Record{SIM: SIM{Object: "sim", ID: ids.New(ids.SIM), CreatedAt: now, Metadata: metadata.Map{},
		Provider: provider, Status: StatusInactive, Type: typ}, Project: project}
}

// Credentials is the API representation of an eSIM's install data. It is
// a secret: it is never logged and never part of an event.
type Credentials struct {
	Object            string `json:"object"`
	ActivationCode    string `json:"activationCode"`
	AndroidInstallURL string `json:"androidInstallUrl"`
	IOSInstallURL     string `json:"iosInstallUrl"`
	QRCodeURL         string `json:"qrCodeUrl"`
	SIM               string `json:"sim"`
}

// GetCredentials returns an eSIM's credentials; a pSIM has none (404).
// publicURL is the server's base URL, where the QR code image is served.
func GetCredentials(ctx context.Context, q store.Querier, project, id, publicURL string) (*Credentials, error) {
	var (
		typ, status string
		code, token sql.NullString
	)
	err := q.QueryRow(ctx, `SELECT type, status, activation_code, qr_token FROM sims WHERE id = ? AND project_id = ?`, id, project).
		Scan(&typ, &status, &code, &token)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("sim", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sims: credentials of %s: %w", id, err)
	}
	if typ != TypeESIM || !code.Valid || status == StatusRetired {
		return nil, &errs.Error{Kind: errs.KindNotFound, Code: "simCredentialsNotFound", Message: fmt.Sprintf("The SIM %q has no credentials: only eSIMs that are not retired have them.", id)}
	}
	carddata := url.QueryEscape(code.String)
	return &Credentials{
		Object:            "simCredentials",
		ActivationCode:    code.String,
		AndroidInstallURL: "https://esimsetup.android.com/esim_qrcode_provisioning?carddata=" + carddata,
		IOSInstallURL:     "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=" + carddata,
		QRCodeURL:         publicURL + "/qr/" + token.String + ".png",
		SIM:               id,
	}, nil
}

// ActivationCodeForQR finds the activation code behind a QR token. The
// token is the only credential the public image URL needs.
func ActivationCodeForQR(ctx context.Context, q store.Querier, token string) (string, error) {
	var code string
	err := q.QueryRow(ctx, `SELECT activation_code FROM sims WHERE qr_token = ? AND status <> 'retired'`, token).Scan(&code)
	if errors.Is(err, sql.ErrNoRows) {
		return "", &errs.Error{Kind: errs.KindNotFound, Code: "qrCodeNotFound", Message: "There is no QR code here."}
	}
	return code, err
}

// KindRetire is the timer that retires a SIM 60 days after it went inactive.
const KindRetire = "sim.retire"

// ScheduleRetirement sets the SIM's retirement timer.
func ScheduleRetirement(ctx context.Context, tx *store.Tx, r *Record, inactiveSince time.Time) error {
	return timeline.Schedule(ctx, tx, r.Project, KindRetire, r.ID, inactiveSince.Add(RetireAfter))
}

// HandleRetire retires a SIM that is still inactive 60 days after it went
// inactive; its number returns to the pool. A SIM that was used again in
// between is left alone.
func HandleRetire(ctx context.Context, tx *store.Tx, t timeline.Timer, now time.Time) error {
	r, err := GetRecord(ctx, tx, t.Project, t.Subject)
	if err != nil {
		return err
	}
	if r.Status != StatusInactive || r.InactiveSince == nil || r.InactiveSince.Add(RetireAfter).After(now) {
		return nil
	}
	if err := releaseNumber(ctx, tx, r); err != nil {
		return err
	}
	return SetStatus(ctx, tx, r, StatusRetired, now)
}
