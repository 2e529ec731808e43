package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/outbound"
	"cellgate/internal/projects"
	"cellgate/internal/store"
)

// request is what a handler sees: the HTTP request, the authenticated
// project and the body, already read.
type request struct {
	*http.Request
	ctx     context.Context
	project string // the project of the API key, equal to {project} in the path
	body    []byte
	// bodyErr says why the body cannot be used (too large, not JSON). It
	// is reported when the body is decoded, after the handler has checked
	// the path, so the documented order headers → path → body holds.
	bodyErr error
	// decoded is set once the handler has read the body; a write whose
	// handler never does still gets it checked as an empty object.
	decoded bool
	// endUser is set when an embed access token made the request: the
	// user whose resources alone it may reach (api/connect.go).
	endUser string
}

// decode reads the JSON body strictly into v; the body is required.
func (rq *request) decode(v any) error {
	rq.decoded = true
	if rq.bodyErr != nil {
		return rq.bodyErr
	}
	return decodeJSON(rq.body, v, true)
}

// decodeOptional reads the JSON body into v; an empty body is {}.
func (rq *request) decodeOptional(v any) error {
	rq.decoded = true
	if rq.bodyErr != nil {
		return rq.bodyErr
	}
	return decodeJSON(rq.body, v, false)
}

// readHandler answers from the database without changing it.
type readHandler func(rq *request) (any, error)

// writeHandler changes state inside tx. now is the project's clock.
type writeHandler func(rq *request, tx *store.Tx, now time.Time) (any, error)

// read registers a handler that only reads.
func (s *Server) read(pattern string, h readHandler) {
	s.handle(pattern, func(w http.ResponseWriter, r *http.Request) {
		rq, err := s.authenticate(r)
		if err == nil {
			var res any
			if res, err = h(rq); err == nil {
				err = rq.bodyErr // a body nobody read is still checked
			}
			if err == nil {
				writeJSON(w, http.StatusOK, res)
				return
			}
		}
		writeError(w, r, s.log, err)
	})
}

// write registers a handler that changes state: it runs in one transaction
// together with its events and, for a POST with an Idempotency-Key, the
// stored response, so a retry after a crash either sees the whole change
// or none of it.
func (s *Server) write(pattern string, status int, h writeHandler) {
	s.handle(pattern, func(w http.ResponseWriter, r *http.Request) {
		rq, err := s.authenticate(r)
		if err == nil {
			err = s.runWrite(w, rq, status, h)
		}
		if err != nil {
			writeError(w, r, s.log, err)
		}
	})
}

func (s *Server) runWrite(w http.ResponseWriter, rq *request, status int, h writeHandler) error {
	var idem *idempotency
	if rq.Method == http.MethodPost {
		var err error
		if idem, err = newIdempotency(rq); err != nil {
			return err
		}
		if idem != nil {
			if done, err := idem.replay(rq.ctx, w, s.db); done || err != nil {
				return err
			}
		}
	}
	var body []byte
	rq.ctx = outbound.Track(rq.ctx)
	err := s.db.InTx(rq.ctx, func(tx *store.Tx) error {
		// The key is claimed before anything else, so a concurrent request
		// with the same key waits for this one and then replays its answer
		// instead of running into its effects (a duplicate email, say).
		if idem != nil {
			if err := idem.claim(rq.ctx, tx); err != nil {
				return err
			}
		}
		now, err := projects.Now(rq.ctx, tx, rq.project)
		if err != nil {
			return err
		}
		res, err := h(rq, tx, now)
		if err == nil && !rq.decoded {
			// A body nobody read is still checked: it must be empty or {}.
			err = rq.decodeOptional(&struct{}{})
		}
		if err != nil {
			return err
		}
		if body, err = json.Marshal(res); err != nil {
			return err
		}
		if idem != nil {
			return idem.finish(rq.ctx, tx, status, body)
		}
		return nil
	})
	if errors.Is(err, errKeyTaken) {
		// A concurrent request with the same key committed first; answer
		// as its retry would.
		if done, err := idem.replay(rq.ctx, w, s.db); done || err != nil {
			return err
		}
		return errs.Conflict("idempotencyKeyInUse", "Another request with the Idempotency-Key %q is in progress; retry it.", idem.key)
	}
	if err != nil {
		return err
	}
	// A test project's calls to carriers are made before the answer, so the
	// next request sees their outcome; a failure there is the operation's,
	// recorded on it, not the request's.
	if err := s.platform.Outbound.RunTracked(rq.ctx); err != nil {
		s.log.ErrorContext(rq.ctx, "outbound operations after a request", "error", err)
	}
	writeRaw(w, status, body)
	return nil
}

// authenticate checks, in the documented order, the Authorization header,
// then the project in the path; then it reads the body, keeping any
// problem with it for when the handler decodes it.
func (s *Server) authenticate(r *http.Request) (*request, error) {
	if len(r.Header.Values("Authorization")) > 1 {
		// A proxy may read the last one where cellgate would read the
		// first: refuse rather than guess who is calling.
		return nil, errs.Malformed("authorizationRepeated", "Send exactly one Authorization header.")
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return nil, errs.Unauthenticated("Missing Authorization header; send Authorization: Bearer <API key>.")
	}
	scheme, secret, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return nil, errs.Unauthenticated("The Authorization header must have the form Bearer <API key>.")
	}
	if strings.HasPrefix(strings.TrimSpace(secret), embedPrefix) {
		return s.authenticateEmbed(r, strings.TrimSpace(secret))
	}
	// The key is read from the database on every request, never from a
	// cache: a revoked key is refused by every replica at once.
	key, err := projects.LookupKey(r.Context(), s.db, strings.TrimSpace(secret))
	if err != nil {
		return nil, err
	}
	if p := r.PathValue("project"); p != "" && p != key.ProjectID {
		// A key never learns whether another project exists.
		return nil, errs.NotFound("project", p)
	}
	body, bodyErr := readBody(r, s.limit)
	ctx := events.WithActor(r.Context(), events.Actor{Type: "apiKey", APIKey: key.ID})
	return &request{Request: r, ctx: ctx, project: key.ProjectID, body: body, bodyErr: bodyErr}, nil
}

// getter reads one resource of a project by id.
type getter[T any] func(ctx context.Context, q store.Querier, project, id string) (T, error)

// readByID is the handler of GET .../{name}: the id in the path (an id
// that cannot be one is notFound for object), the resource, then the
// check that no query parameter was given.
func readByID[T any](s *Server, name, object string, get getter[T]) readHandler {
	return func(rq *request) (any, error) {
		id, err := pathID(rq.Request, name, object)
		if err != nil {
			return nil, err
		}
		v, err := get(rq.ctx, s.db, rq.project, id)
		if err != nil {
			return nil, err
		}
		return v, rq.noQuery()
	}
}
