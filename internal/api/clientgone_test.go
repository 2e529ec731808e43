package api_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"cellgate/internal/api"
	"cellgate/internal/apitest"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestClientThatGoesAwayIsNotAServerError: a request whose body never
// arrives whole, because the client closed the connection or sent it
// slower than the read timeout, is counted under 499 (client closed
// request), never 500, is logged below ERROR, and changes nothing.
func TestClientThatGoesAwayIsNotAServerError(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		key := (&apitest.Env{T: t, DB: db}).NewProject("acme", projects.TypeTest)
		for _, c := range []struct {
			name, method, path, route string
			// hangUp closes the connection; otherwise the client waits
			// for the server's read timeout.
			hangUp bool
		}{
			{"write, connection closed", "POST", "/projects/acme/users", "POST /projects/{project}/users", true},
			{"write, read timeout", "POST", "/projects/acme/users", "POST /projects/{project}/users", false},
			{"read, connection closed", "GET", "/projects/acme/users", "GET /projects/{project}/users", true},
		} {
			t.Run(c.name, func(t *testing.T) {
				cfg, logs := observedConfig()
				cfg.DB = db
				ts := httptest.NewUnstartedServer(api.New(cfg).Handler())
				ts.Config.ReadTimeout = 300 * time.Millisecond
				ts.Start()
				defer ts.Close()

				conn, err := net.Dial("tcp", ts.Listener.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				part := `{"email":"half@example.com",`
				fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: cellgate\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
					c.method, c.path, key, len(part)+100, part)
				if c.hangUp {
					// Closing at once could beat the server to the headers;
					// close once the handler is reading the body.
					time.Sleep(50 * time.Millisecond)
					conn.Close()
				} else {
					// A client still listening hears 499, not 500.
					_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
					resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
					if err != nil {
						t.Fatalf("no answer after the read timeout: %v", err)
					}
					resp.Body.Close()
					if resp.StatusCode != api.StatusClientClosedRequest {
						t.Errorf("status %d, want %d", resp.StatusCode, api.StatusClientClosedRequest)
					}
				}

				logs.waitRecord(t, "request", map[string]any{"route": c.route, "status": float64(api.StatusClientClosedRequest)})
				logs.waitRecord(t, "client closed request", map[string]any{"level": "WARN", "path": c.path})
				for _, r := range logs.records(t) {
					if r["level"] == "ERROR" {
						t.Errorf("logged at ERROR: %v", r)
					}
				}
				metrics := metricsText(t, ts.URL)
				if want := fmt.Sprintf(`cellgate_http_requests_total{code="499",route=%q} 1`, c.route); !strings.Contains(metrics, want) {
					t.Errorf("/metrics lacks %s", want)
				}
				if strings.Contains(metrics, `code="500"`) {
					t.Errorf("/metrics counts a 500:\n%s", metrics)
				}
				if n := countUsers(t, db); n != 0 {
					t.Errorf("%d users exist after a request that never arrived", n)
				}
			})
		}
	})
}

func countUsers(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(t.Context(), "SELECT count(*) FROM users").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
