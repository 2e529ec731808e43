package api

import (
	"net/http"
	"strings"

	"cellgate/internal/billing"
	"cellgate/internal/documents"
	"cellgate/internal/errs"
)

// documentRoutes serves the PDFs behind invoice.fileUrl and
// payment.receipt: no API key, the token in the URL is the credential
// (docs/payments.md), so logs show the path prefix only (credentialPaths).
func (s *Server) documentRoutes() {
	documents.SetBaseURL(s.source)
	s.handle("GET "+documents.PathPrefix+"{file}", s.document)
}

func (s *Server) document(w http.ResponseWriter, r *http.Request) {
	pdf, err := func() ([]byte, error) {
		token, ok := strings.CutSuffix(r.PathValue("file"), ".pdf")
		if !ok || r.URL.RawQuery != "" {
			return nil, &errs.Error{Kind: errs.KindNotFound, Code: "documentNotFound", Message: "There is no document here."}
		}
		d, err := documents.Find(r.Context(), s.db, token)
		if err != nil {
			return nil, err
		}
		if d.Kind == documents.KindReceipt {
			return billing.ReceiptPDF(r.Context(), s.db, d.Project, d.Subject)
		}
		return billing.InvoicePDF(r.Context(), s.db, d.Project, d.Subject)
	}()
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Cache-Control", noStore)
	_, _ = w.Write(pdf)
}
