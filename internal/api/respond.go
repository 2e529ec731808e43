package api

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"cellgate/internal/errs"
	"cellgate/internal/store"
)

// errorBody is the documented error envelope (reference §1.5).
type errorBody struct {
	Object        string    `json:"object"`
	Type          errs.Kind `json:"type"`
	Code          string    `json:"code,omitempty"`
	Message       string    `json:"message"`
	Hint          string    `json:"hint,omitempty"`
	Documentation []string  `json:"documentation,omitempty"`
}

// writeError writes err in the envelope. Errors that are not *errs.Error are
// internal: they are logged with the request id and the client sees only a
// generic message.
//
// A client that went away is not a server error, whatever failed after it
// left (reading its body, a query cancelled with its context): see
// writeClientGone.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if clientGone(r) {
		writeClientGone(w, r, log, err)
		return
	}
	e, ok := errs.As(err)
	if !ok {
		log.ErrorContext(r.Context(), "request failed", "error", err, "method", r.Method, "path", loggedPath(r), "requestId", w.Header().Get(requestIDHeader))
		e = &errs.Error{Kind: errs.KindInternal, Code: "unknown", Message: "An internal error occurred. Quote the request id " + w.Header().Get(requestIDHeader) + " when reporting it."}
	}
	status := errs.HTTPStatus(e.Kind)
	body := errorBody{Object: "error", Type: e.Kind, Code: e.Code, Message: e.Message, Hint: e.Hint}
	writeJSON(w, status, body)
}

// jsonBytes encodes a response body.
func jsonBytes(v any) ([]byte, error) { return json.Marshal(v) }

// writeJSON encodes v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"object":"error","type":"internal","message":"response could not be encoded"}`)
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// list is the documented list envelope (reference §1.4).
type list[T any] struct {
	Object          string  `json:"object"`
	Items           []T     `json:"items"`
	MoreItemsAfter  *string `json:"moreItemsAfter"`
	MoreItemsBefore *string `json:"moreItemsBefore"`
}

// listOf answers with one page of a list, or with the error that kept it
// from being read.
func listOf[T any](page store.PageOf[T], err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return newList(page.Items, page.MoreAfter, page.MoreBefore), nil
}

func newList[T any](items []T, after, before *string) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Object: "list", Items: items, MoreItemsAfter: after, MoreItemsBefore: before}
}

// StatusClientClosedRequest counts requests whose client went away before
// the answer: it closed the connection, or sent its body slower than the
// server's read timeout. The code is nginx's; no client ever reads it.
const StatusClientClosedRequest = 499

// clientGone reports whether the client has left: net/http cancels the
// request's context when reading from the connection fails (EOF, reset,
// read deadline), and when the handler has returned.
func clientGone(r *http.Request) bool { return r.Context().Err() != nil }

// writeClientGone records an abandoned request below ERROR, with what
// failed after the client left. A slow client still listening gets the
// bare status: no error type stands for it, and every type keeps its one
// status.
func writeClientGone(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	log.WarnContext(r.Context(), "client closed request", "error", err, "method", r.Method, "path", loggedPath(r), "requestId", w.Header().Get(requestIDHeader))
	w.WriteHeader(StatusClientClosedRequest)
}
