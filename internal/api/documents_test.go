package api_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"

	"cellgate/internal/apitest"
	cgmoney "cellgate/internal/money"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// pdfText checks that b is a valid PDF (pdfcpu's validation) and returns
// the strings its pages show, in order, one per line: the literal
// strings of the text operators of every page's decoded content stream.
func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	if err := pdfapi.Validate(bytes.NewReader(b), nil); err != nil {
		t.Fatalf("the PDF does not validate: %v", err)
	}
	var out strings.Builder
	err := pdfapi.ExtractContent(bytes.NewReader(b), nil, func(r io.Reader, page int) error {
		content, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		for _, s := range pdfStrings(content) {
			out.WriteString(s + "\n")
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatalf("extract the PDF's content: %v", err)
	}
	return out.String()
}

// pdfStrings reads the literal strings shown by Tj in a content stream,
// with their escapes undone.
func pdfStrings(content []byte) []string {
	var out []string
	for i := 0; i < len(content); i++ {
		if content[i] != '(' {
			continue
		}
		var s []byte
		depth := 1
		for i++; i < len(content) && depth > 0; i++ {
			c := content[i]
			switch {
			case c == '\\' && i+1 < len(content):
				i++
				switch e := content[i]; e {
				case 'n':
					s = append(s, '\n')
				case 'r', 't', 'b', 'f':
					s = append(s, ' ')
				default:
					s = append(s, e)
				}
				continue
			case c == '(':
				depth++
			case c == ')':
				depth--
				if depth == 0 {
					continue
				}
			}
			s = append(s, c)
		}
		i--
		if rest := strings.TrimLeft(string(content[i+1:min(i+8, len(content))]), " "); strings.HasPrefix(rest, "Tj") {
			out = append(out, string(s))
		}
	}
	return out
}

// document fetches a fileUrl or receipt without an API key.
func (w *world) document(link string) *apitest.Response {
	w.t.Helper()
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(u.Path, "/documents/") || !strings.HasSuffix(u.Path, ".pdf") {
		w.t.Fatalf("document URL %q", link)
	}
	return w.Do(apitest.Request{Method: http.MethodGet, Path: u.Path, NoAuth: true})
}

// TestInvoicePDFShowsTotalsAtUnguessableURL: a finalized invoice's
// fileUrl is a PDF rendered by cellgate with its lines, taxes, fee,
// totals, payment and, once issued, its credit notes; a succeeded
// payment's receipt is a PDF with the amount paid and the card. Both URLs
// need no API key and carry a 256-bit random token that is the only
// credential: a changed, truncated or enumerated token is 404.
func TestInvoicePDFShowsTotalsAtUnguessableURL(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := payWorld(t, db, map[string]any{"recoveryFeePercentage": 3})
		u := w.user(nil)
		w.card(u, cardVisa)
		w.advanceTo(blActivation.Add(-2 * time.Minute))
		s := w.subscribe(w.plan(nil), u, "auto", map[string]any{"userAddress": w.address(u)})
		w.advanceTo(blActivation)
		var inv struct {
			invoice
			FileURL *string `json:"fileUrl"`
			Payment *string `json:"payment"`
		}
		w.Get(w.P("/invoices/" + w.firstInvoice(s.ID).ID)).Expect(http.StatusOK).Decode(&inv)
		var pay struct {
			ID      string
			Amount  money
			Receipt *string
		}
		w.Get(w.P("/payments/" + w.paymentOf(inv.ID).ID)).Expect(http.StatusOK).Decode(&pay)
		if inv.FileURL == nil || pay.Receipt == nil || inv.Payment == nil || *inv.Payment != pay.ID {
			t.Fatalf("invoice fileUrl %v payment %v, payment %s receipt %v", inv.FileURL, inv.Payment, pay.ID, pay.Receipt)
		}
		if len(inv.LineItems) != 1 || len(inv.LineItems[0].Taxes) == 0 || len(inv.Fees) != 1 {
			t.Fatalf("invoice = %+v, want one taxed line and a fee", inv)
		}
		usd := func(v int64) string { return cgmoney.Format(v, "USD") }

		r := w.document(*inv.FileURL).Expect(http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "application/pdf" {
			t.Fatalf("Content-Type = %s", ct)
		}
		text := pdfText(t, r.Body)
		l := inv.LineItems[0]
		want := []string{"Invoice", inv.ID, pay.ID, usd(inv.SubtotalP.Amount), usd(inv.TaxP.Amount), usd(inv.Fees[0].Amount),
			usd(inv.TotalP.Amount), usd(l.Amount), usd(l.Taxes[0].Amount)}
		for _, s := range want {
			if !strings.Contains(text, s+"\n") {
				t.Errorf("the invoice PDF lacks %q:\n%s", s, text)
			}
		}

		// A refund's credit note shows on the invoice's PDF from then on.
		w.Post(w.P("/payments/"+pay.ID+"/refund"), map[string]any{"amount": 100}).Expect(http.StatusOK)
		var notes struct{ Items []creditNote }
		w.Get(w.P("/creditNotes?invoice=" + inv.ID)).Expect(http.StatusOK).Decode(&notes)
		if len(notes.Items) != 1 {
			t.Fatalf("credit notes = %+v", notes.Items)
		}
		if text := pdfText(t, w.document(*inv.FileURL).Expect(http.StatusOK).Body); !strings.Contains(text, notes.Items[0].ID+"\n") {
			t.Fatalf("the invoice PDF lacks the credit note %s:\n%s", notes.Items[0].ID, text)
		}

		receipt := pdfText(t, w.document(*pay.Receipt).Expect(http.StatusOK).Body)
		for _, s := range []string{"Receipt", pay.ID, inv.ID, usd(pay.Amount.Amount), "Visa ending in 4242", usd(100)} {
			if !strings.Contains(receipt, s+"\n") {
				t.Errorf("the receipt lacks %q:\n%s", s, receipt)
			}
		}

		// The token: 43 base64url characters (32 random bytes), unrelated
		// to the ids, different for each document.
		token := regexp.MustCompile(`/documents/([A-Za-z0-9_-]{43})\.pdf$`)
		m1, m2 := token.FindStringSubmatch(*inv.FileURL), token.FindStringSubmatch(*pay.Receipt)
		if m1 == nil || m2 == nil || m1[1] == m2[1] || strings.Contains(*inv.FileURL, inv.ID) || strings.Contains(*pay.Receipt, pay.ID) {
			t.Fatalf("document URLs %s and %s", *inv.FileURL, *pay.Receipt)
		}
		flip := func(s string, i int) string {
			c := byte('A')
			if s[i] == 'A' {
				c = 'B'
			}
			return s[:i] + string(c) + s[i+1:]
		}
		for _, guess := range []string{
			flip(m1[1], 0), flip(m1[1], 42), m1[1][:42], m1[1] + "A", strings.Repeat("A", 43), inv.ID, pay.ID, "1",
		} {
			w.Do(apitest.Request{Method: http.MethodGet, Path: "/documents/" + guess + ".pdf", NoAuth: true}).
				ExpectError(http.StatusNotFound, "notFound", "documentNotFound")
		}
		w.Do(apitest.Request{Method: http.MethodGet, Path: "/documents/" + m1[1] + ".pdf?x=1", NoAuth: true}).
			ExpectError(http.StatusNotFound, "notFound", "documentNotFound")
	})
}
