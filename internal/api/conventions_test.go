package api_test

// Helpers shared by the convention tests: a snapshot of every table, a
// strict check of the error envelope, and a raw HTTP client for requests
// apitest does not shape (no Content-Type, calls from other goroutines).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// snapshotTables are every table of the schema, so "nothing changed"
// covers the lifecycle, billing and webhook tables too.
var snapshotTables = []string{"projects", "api_keys", "idempotency_keys", "users", "user_addresses", "plans", "events",
	"subscriptions", "sims", "phone_numbers", "number_sequences", "timeline", "webhook_endpoints", "webhook_deliveries",
	"webhook_attempts", "quotes", "invoices", "credit_notes", "user_balances", "balance_entries",
	"usage_feeds", "usage_days", "usage_periods", "usage_orphans", "usage_models",
	"subscription_changes", "addons", "subscription_addons", "usage_addons", "subscription_sim_history"}

// snapshot maps a table to its row count and a checksum of its contents.
type snapshot map[string]string

func takeSnapshot(t testing.TB, db *store.DB) snapshot {
	t.Helper()
	s := snapshot{}
	for _, table := range snapshotTables {
		n, sum := tableChecksum(t, db, table)
		s[table] = fmt.Sprintf("rows=%d sha256=%x", n, sum)
	}
	return s
}

func tableChecksum(t testing.TB, db *store.DB, table string) (int, []byte) {
	t.Helper()
	rows, err := db.Query(context.Background(), "SELECT * FROM "+table+" ORDER BY 1, 2")
	if err != nil {
		t.Fatalf("snapshot %s: %v", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatalf("snapshot %s: %v", table, err)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	h := sha256.New()
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("snapshot %s: %v", table, err)
		}
		for i, v := range vals {
			if table == "api_keys" && cols[i] == "last_used_at" {
				// When a key was last used is bookkeeping of every
				// request, refused ones included, not a change.
				continue
			}
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			fmt.Fprintf(h, "%v\x1f", v)
		}
		h.Write([]byte{0x1e})
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("snapshot %s: %v", table, err)
	}
	return n, h.Sum(nil)
}

// diff lists the tables whose state differs.
func (s snapshot) diff(other snapshot) []string {
	var out []string
	for _, table := range snapshotTables {
		if s[table] != other[table] {
			out = append(out, fmt.Sprintf("%s: %s → %s", table, s[table], other[table]))
		}
	}
	return out
}

// expectUnchanged fails when the database differs from before.
func expectUnchanged(t testing.TB, db *store.DB, before snapshot, what string) {
	t.Helper()
	if d := before.diff(takeSnapshot(t, db)); len(d) > 0 {
		t.Errorf("%s changed the database:\n  %s", what, strings.Join(d, "\n  "))
	}
}

// statusOfType is the documented status of each error type.
var statusOfType = map[string]int{
	"malformed": 400, "unauthenticated": 401, "permissionDenied": 403,
	"notFound": 404, "conflict": 409, "invalid": 422,
}

var envelopeKeys = map[string]bool{"object": true, "type": true, "code": true, "message": true, "hint": true, "documentation": true}

// checkError checks that a response is the documented error envelope with
// the given status, type and (if set) code, and that its message names
// field (if set). It reports with Errorf so a table test sees every case.
func checkError(t testing.TB, what string, status int, header http.Header, body []byte, wantStatus int, typ, code, field string) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("%s: status %d, want %d; body %s", what, status, wantStatus, body)
		return
	}
	if want, ok := statusOfType[typ]; ok && want != wantStatus && wantStatus != http.StatusMethodNotAllowed {
		t.Errorf("%s: test bug: type %s goes with status %d", what, typ, want)
	}
	if ct := header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q, want application/json", what, ct)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Errorf("%s: error body is not a JSON object: %v: %s", what, err, body)
		return
	}
	for k := range m {
		if !envelopeKeys[k] {
			t.Errorf("%s: undocumented key %q in error envelope %s", what, k, body)
		}
	}
	msg, _ := m["message"].(string)
	switch {
	case m["object"] != "error":
		t.Errorf("%s: object = %v, want error: %s", what, m["object"], body)
	case m["type"] != typ:
		t.Errorf("%s: type = %v, want %s: %s", what, m["type"], typ, body)
	case code != "" && m["code"] != code:
		t.Errorf("%s: code = %v, want %s: %s", what, m["code"], code, body)
	case msg == "":
		t.Errorf("%s: error without a message: %s", what, body)
	case field != "" && !strings.Contains(msg, field):
		t.Errorf("%s: message %q does not name %q", what, msg, field)
	}
}

// expectError is checkError on an apitest response.
func expectError(t testing.TB, what string, r *apitest.Response, status int, typ, code, field string) {
	t.Helper()
	checkError(t, what, r.Status, r.Header, r.Body, status, typ, code, field)
}

type rawResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// rawDo sends exactly the given headers (plus nothing else but what
// net/http adds) and returns errors instead of failing, so goroutines can
// call it.
func rawDo(e *apitest.Env, method, path string, body []byte, header map[string]string) (*rawResponse, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.Server.URL+path, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// mustRaw is rawDo for the test goroutine.
func mustRaw(t testing.TB, e *apitest.Env, method, path string, body []byte, header map[string]string) *rawResponse {
	t.Helper()
	r, err := rawDo(e, method, path, body, header)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// auth is the Authorization header for a key.
func auth(key string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + key, "Content-Type": "application/json"}
}

// countRows counts rows of a table matching an optional condition.
func countRows(t testing.TB, db *store.DB, table, where string, args ...any) int {
	t.Helper()
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// TestSnapshotSeesEveryChange proves the snapshot helper can fail: a
// create changes counts, and an update that keeps counts changes the sum.
func TestSnapshotSeesEveryChange(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		before := takeSnapshot(t, db)
		id := e.Post(e.P("/users"), map[string]any{"email": "snap@example.com"}).Expect(http.StatusCreated).ID()
		afterCreate := takeSnapshot(t, db)
		changed := before.diff(afterCreate)
		if len(changed) != 2 || !strings.HasPrefix(changed[0], "users:") || !strings.HasPrefix(changed[1], "events:") {
			t.Fatalf("create: changed tables = %v, want users and events", changed)
		}
		// Same row counts after the PATCH except events; users must still
		// differ through its checksum.
		e.Patch(e.P("/users/"+id), map[string]any{"fullName": "Snap"}).Expect(http.StatusOK)
		d := afterCreate.diff(takeSnapshot(t, db))
		sort.Strings(d)
		if len(d) != 2 || !strings.HasPrefix(d[1], "users:") {
			t.Fatalf("update: changed tables = %v, want events and users", d)
		}
	})
}
