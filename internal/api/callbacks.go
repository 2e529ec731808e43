package api

import (
	"context"
	"net/http"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/network"
	"cellgate/internal/outbound"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// carrierCallback takes an adapter's report of an outcome that came after
// its answer (docs/carriers.md, "Callbacks"). It is signed with the
// provider's shared secret instead of an API key; a retried callback
// changes nothing more than the first.
func (s *Server) carrierCallback(w http.ResponseWriter, r *http.Request) {
	err := func() error {
		id := r.PathValue("provider")
		info, ok := s.platform.Carriers.Info(id)
		if !ok || info.Kind != network.KindHTTP {
			return errs.NotFound("provider", id).WithHint("Callbacks come from providers of kind http, which have a shared secret.")
		}
		if _, err := parseQuery(r); err != nil {
			return err
		}
		cb, err := network.ParseCallback(info.Secret, r)
		if err != nil {
			if e, ok := network.AsError(err); ok && e.Code == network.CodeInvalidRequest {
				return errs.Invalid("callbackInvalid", "%s", e.Message)
			}
			return errs.Unauthenticated("The callback's signature does not verify with the provider's secret: %v.", err)
		}
		ctx := events.WithActor(r.Context(), events.System)
		return s.db.InTx(ctx, func(tx *store.Tx) error {
			now, err := projects.Now(ctx, tx, cb.Project)
			if err != nil {
				return err
			}
			return s.applyCallback(ctx, tx, id, cb, now)
		})
	}()
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"object": "callbackReceipt", "status": "applied"})
}

// applyCallback makes a callback's outcome part of the lifecycle.
func (s *Server) applyCallback(ctx context.Context, tx *store.Tx, provider string, cb network.Callback, now time.Time) error {
	switch cb.Type {
	case network.CallbackActivationCompleted:
		return subscriptions.ConfirmActivation(ctx, tx, cb.Project, provider, cb.ICCID, now)
	case network.CallbackPortingCompleted, network.CallbackPortingDeclined:
		return s.platform.Subscriptions.ApplyPortingCallback(ctx, tx, cb.Project, provider, *cb.Porting, now)
	case network.CallbackPortOutCompleted:
		return s.applyPortOutCallback(ctx, tx, provider, cb, now)
	case network.CallbackActivationFailed:
		// The activation call was taken and then failed: its operation is
		// failed and waits for an operator; the line stays pending.
		return outbound.FailLater(ctx, tx, cb.IdempotencyKey, "carrier: "+cb.Error.Code+": "+cb.Error.Message, now)
	}
	return errs.Invalid("callbackTypeNotHandled", "cellgate does not take %s callbacks yet; eSIM profile states are read with ESIMProfile.", cb.Type)
}
