package api

import (
	"io"
	"net/http"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/outbound"
	"cellgate/internal/payments"
	"cellgate/internal/projects"
	"cellgate/internal/store"
)

// stripeWebhook takes in the events Stripe sends a project's endpoint,
// signed with its webhook signing secret (no API key: Stripe calls it).
func (s *Server) stripeWebhook(w http.ResponseWriter, r *http.Request) {
	err := func() error {
		project := r.PathValue("project")
		if _, err := parseQuery(r); err != nil {
			return err
		}
		set, err := payments.GetSettings(r.Context(), s.db, project)
		if err != nil {
			return err
		}
		payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, DefaultBodyLimit))
		if err != nil {
			return errs.Malformed("requestBodyTooLarge", "The event is larger than %d bytes.", DefaultBodyLimit)
		}
		ev, err := payments.VerifyStripeEvent(set, payload, r.Header.Get("Stripe-Signature"))
		if err != nil {
			return err
		}
		ctx := outbound.Track(events.WithActor(r.Context(), events.System))
		err = s.db.InTx(ctx, func(tx *store.Tx) error {
			now, err := projects.Now(ctx, tx, project)
			if err != nil {
				return err
			}
			_, err = payments.ApplyStripeEvent(ctx, tx, project, ev, now)
			return err
		})
		if err != nil {
			return err
		}
		if err := s.platform.Outbound.RunTracked(ctx); err != nil {
			s.log.ErrorContext(ctx, "outbound operations after a Stripe event", "error", err)
		}
		return nil
	}()
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"object": "webhookReceipt", "status": "received"})
}
