package api

import (
	"net/http"
	"path"
	"strings"
)

// credentialPaths are the path prefixes whose remainder is itself a
// credential: GET /qr/<token>.png returns an eSIM activation code, and
// GET /documents/<token>.pdf an invoice or a receipt, to anyone holding
// the URL. Logs show the prefix only.
var credentialPaths = []string{"/qr/", "/documents/"}

// redacted stands in for a credential cut out of a log line.
const redacted = "[redacted]"

// loggedPath is the request path as logs may show it. The check runs on the
// cleaned, lower-cased path so that //qr/x or /QR/x, which the router
// redirects or refuses, cannot carry a token into the log either.
func loggedPath(r *http.Request) string {
	p := r.URL.Path
	clean := strings.ToLower(path.Clean("/" + p))
	for _, prefix := range credentialPaths {
		if strings.HasPrefix(clean, prefix) {
			return prefix + redacted
		}
	}
	return p
}

// secretRoutes answer with a secret: SIM credentials, and a webhook
// endpoint's signing secret, shown at creation and rotation only. No
// cache between cellgate and the client may keep any of their answers.
// (GET /qr/{file} sets the same header itself.)
var secretRoutes = map[string]bool{
	"POST /projects/{project}/apiKeys":                                  true,
	"POST /projects/{project}/connectSessions":                          true,
	"GET /projects/{project}/sims/{sim}/credentials":                    true,
	"GET /projects/{project}/portOuts/{portOut}/credentials":            true,
	"POST /projects/{project}/webhookEndpoints":                         true,
	"POST /projects/{project}/webhookEndpoints/{endpoint}/rotateSecret": true,
}

// noStore is the Cache-Control of every answer that holds a secret.
const noStore = "private, no-store"

// handle registers an API route, marking the answers of secret routes as
// not cacheable before the handler runs, so that errors and idempotent
// replays carry the header too.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.patterns = append(s.patterns, pattern)
	if secretRoutes[pattern] {
		next := h
		h = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", noStore)
			next(w, r)
		}
	}
	s.mux.HandleFunc(pattern, h)
}
