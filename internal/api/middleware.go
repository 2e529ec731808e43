package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"cellgate/internal/errs"
	"cellgate/internal/ids"
)

// requestIDHeader carries the request id both ways: a caller's own id is
// kept when it is sane, otherwise the server makes one.
const requestIDHeader = "X-Request-Id"

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellgate_http_requests_total", Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cellgate_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// observe gives every request an id, turns panics into 500s, and logs and
// measures each request once it is done.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(requestIDHeader)
		if !ids.Valid(id) || len(id) > 64 {
			id = ids.New(ids.Request)
		}
		w.Header().Set(requestIDHeader, id)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.log.ErrorContext(r.Context(), "panic serving request", "panic", fmt.Sprint(p), "stack", string(debug.Stack()), "requestId", id)
				if sw.status == 0 {
					writeError(sw, r, s.log, &errs.Error{Kind: errs.KindInternal, Code: "unknown", Message: "An internal error occurred. Quote the request id " + id + " when reporting it."})
				}
			}
			elapsed := time.Since(start)
			// Route labels are patterns, never paths: a path may hold a
			// credential, and ids would make the label set unbounded.
			route := r.Pattern
			if route == "" || route == "/" {
				route = "unmatched"
			}
			status := sw.status
			if status == 0 {
				// Nothing written: net/http answers 200, unless nobody is
				// left to answer.
				status = http.StatusOK
				if clientGone(r) {
					status = StatusClientClosedRequest
				}
			}
			s.metrics.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
			s.metrics.duration.WithLabelValues(route).Observe(elapsed.Seconds())
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method), slog.String("route", route), slog.String("path", loggedPath(r)),
				slog.Int("status", status), slog.Duration("duration", elapsed), slog.String("requestId", id))
		}()
		next.ServeHTTP(sw, r)
	})
}

// notFound answers paths no route matches, and methods a path does not
// support, in the error envelope.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodDelete, http.MethodGet, http.MethodPatch, http.MethodPost, http.MethodPut} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Object: "error", Type: errs.KindMalformed, Code: "methodNotAllowed",
			Message: fmt.Sprintf("%s is not supported on %s; use %s.", r.Method, r.URL.Path, strings.Join(allow, ", "))})
		return
	}
	writeError(w, r, s.log, &errs.Error{Kind: errs.KindNotFound, Code: "routeNotFound", Message: fmt.Sprintf("There is no endpoint at %s %s.", r.Method, r.URL.Path)})
}
