package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"cellgate/internal/billing/tax"
)

// TestTaxDataReplacesBuiltinRates: a directory of rate files replaces the
// shipped US rates for invoices and quotes; a directory without rate files
// or with a broken one is refused at start-up.
func TestTaxDataReplacesBuiltinRates(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	de := `{"country": "DE", "currency": "EUR", "regionRequired": false,
		"national": [{"type": "salesTax", "name": "Umsatzsteuer", "rate": "19"}], "regions": {}}`
	if err := os.WriteFile(filepath.Join(dir, "de.json"), []byte(de), 0o600); err != nil {
		t.Fatal(err)
	}
	plat, err := newPlatform(nil, log, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := plat.Invoices.TaxCalculator().Calculate(context.Background(), tax.Request{
		Jurisdiction: tax.Jurisdiction{Country: "DE"}, Currency: "EUR", Behavior: tax.Exclusive,
		Lines: []tax.Line{{Key: "pln", Price: 1000}}})
	if err != nil || len(res.Lines) != 1 || res.Lines[0].Tax != 190 {
		t.Fatalf("German line of 1000 = %+v, %v; want 190 of tax", res, err)
	}
	if _, err := plat.Invoices.TaxCalculator().Calculate(context.Background(), tax.Request{
		Jurisdiction: tax.Jurisdiction{Country: "US", State: "CA"}, Currency: "USD", Behavior: tax.Exclusive,
		Lines: []tax.Line{{Key: "pln", Price: 1000}}}); err == nil {
		t.Fatalf("the replaced rates still tax the US")
	}

	if _, err := newPlatform(nil, log, t.TempDir(), ""); err == nil {
		t.Fatalf("an empty tax data directory was accepted")
	}
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "fr.json"), []byte(`{"country": "FR"`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := newPlatform(nil, log, broken, ""); err == nil {
		t.Fatalf("a broken rate file was accepted")
	}
}
