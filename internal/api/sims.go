package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"cellgate/internal/errs"
	"cellgate/internal/sims"
	"cellgate/internal/store"
)

func (s *Server) createSIM(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in sims.CreateInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return sims.Create(rq.ctx, tx, s.platform.Carriers, rq.project, in, now)
}

func (s *Server) listSIMs(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams("status", "type", "provider", "iccid")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	var f sims.Filter
	if f.Status, err = q.enum("status", sims.StatusInactive, sims.StatusActive, sims.StatusRetired); err != nil {
		return nil, err
	}
	if f.Type, err = q.enum("type", sims.TypeESIM, sims.TypePSIM); err != nil {
		return nil, err
	}
	if f.Provider, err = q.enum("provider", s.platform.Carriers.IDs()...); err != nil {
		return nil, err
	}
	if f.ICCID = q.get("iccid"); f.ICCID != "" && !sims.ValidICCID(f.ICCID) {
		return nil, errs.Invalid("invalidIccid", "Query parameter iccid is not a valid ICCID: %q.", f.ICCID)
	}
	return listOf(sims.List(rq.ctx, s.db, rq.project, f, p))
}

func (s *Server) getSIM(rq *request) (any, error) {
	id, err := pathID(rq.Request, "sim", "sim")
	if err != nil {
		return nil, err
	}
	sim, err := sims.Get(rq.ctx, s.db, rq.project, id)
	if err != nil {
		return nil, err
	}
	return sim, rq.noQuery()
}

// getSIMCredentials answers with a secret: the response must not be cached
// by anything in between.
func (s *Server) getSIMCredentials(rq *request) (any, error) {
	id, err := pathID(rq.Request, "sim", "sim")
	if err != nil {
		return nil, err
	}
	if _, err := sims.Get(rq.ctx, s.db, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	return sims.GetCredentials(rq.ctx, s.db, rq.project, id, s.source)
}

// qrCode renders an eSIM's activation code as a PNG. Like the hosted QR
// codes of the reference, it needs no API key: the unguessable token in the
// URL is the credential.
func (s *Server) qrCode(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutSuffix(r.PathValue("file"), ".png")
	if !ok || len(token) < 16 {
		writeError(w, r, s.log, &errs.Error{Kind: errs.KindNotFound, Code: "qrCodeNotFound", Message: "There is no QR code here."})
		return
	}
	code, err := sims.ActivationCodeForQR(r.Context(), s.db, token)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	png, err := qrcode.Encode(code, qrcode.Medium, 320)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(png)
}
