package api

import (
	"net/http"
	"strings"
	"time"

	"cellgate/internal/connect"
	"cellgate/internal/connectweb"
	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/projects"
	"cellgate/internal/store"
)

// connectRoutes registers Connect sessions and the embeds' token exchange
// (docs/connect.md); the hosted pages are mounted by connectPageRoutes.
func (s *Server) connectRoutes() {
	s.write("POST /projects/{project}/connectSessions", http.StatusCreated, s.createConnectSession)
	s.read("GET /projects/{project}/connectSessions/{connectSession}", s.getConnectSession)
	s.handle("POST /api/embeds/auth", s.embedsAuth)
	// The pages have their own browser sessions, CSRF checks and HTML
	// errors; like the console they are not API routes.
	s.mux.Handle("/connect/", connectweb.New(connectweb.Config{DB: s.db, Platform: s.platform, Logger: s.log, PublicURL: s.source}))
}

func (s *Server) createConnectSession(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in connect.CreateInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return connect.Create(rq.ctx, tx, rq.project, in, s.source, now)
}

func (s *Server) getConnectSession(rq *request) (any, error) {
	id, err := pathID(rq.Request, "connectSession", "connectSession")
	if err != nil {
		return nil, err
	}
	now, err := projects.Now(rq.ctx, s.db, rq.project)
	if err != nil {
		return nil, err
	}
	cs, err := connect.Get(rq.ctx, s.db, rq.project, id, now)
	if err != nil {
		return nil, err
	}
	return cs, rq.noQuery()
}

// embedPrefix starts every embed access token, so that authenticate
// tells one from an API key without a lookup.
const embedPrefix = "cgc_"

type embedsAuthInput struct {
	Secret string `json:"secret"`
}

type embedsAuthAnswer struct {
	Token struct {
		AccessToken string `json:"access_token"`
	} `json:"token"`
}

// embedsAuth exchanges a session url's token for an access token of the
// session's user: 422 once the session has expired or its link was used.
// It needs no API key: the token is the credential.
func (s *Server) embedsAuth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", noStore)
	err := func() error {
		body, err := readBody(r, s.limit)
		rq := &request{Request: r, ctx: r.Context(), body: body, bodyErr: err}
		if err := rq.noQuery(); err != nil {
			return err
		}
		var in embedsAuthInput
		if err := rq.decode(&in); err != nil {
			return err
		}
		if in.Secret == "" {
			return errs.Invalid("fieldRequired", "secret is required: the token of the session's url.")
		}
		var out embedsAuthAnswer
		err = s.db.InTx(r.Context(), func(tx *store.Tx) error {
			found, err := connect.FindByToken(r.Context(), tx, in.Secret)
			if err != nil {
				return connect.ErrExpired // an unknown token says no more than an old one
			}
			now, err := projects.Now(r.Context(), tx, found.Project)
			if err != nil {
				return err
			}
			if found.User == nil {
				return errs.Invalid("connectSessionUnauthenticated", "This session has no user yet: open its pages to sign in.")
			}
			token, _, err := connect.Redeem(r.Context(), tx, found.ID, in.Secret, connect.GrantEmbed, now)
			out.Token.AccessToken = embedPrefix + token
			return err
		})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}()
	if err != nil {
		writeError(w, r, s.log, err)
	}
}

// embedRoutes are the only routes an embed access token may use; each
// handler narrows them to the token's user (rq.endUser).
var embedRoutes = map[string]bool{
	"GET /projects/{project}/subscriptions":                true,
	"GET /projects/{project}/subscriptions/{subscription}": true,
	"PATCH /projects/{project}/portings/{porting}":         true,
}

// errEmbedScope answers a route an embed access token does not open: the
// token does not authenticate it (401, which every authenticated route
// documents), with its own code.
var errEmbedScope = &errs.Error{Kind: errs.KindUnauthenticated, Code: "accessTokenScope",
	Message: "An embed access token may read its user's subscriptions and update its user's portings, nothing else."}

// authenticateEmbed turns an embed access token into a request acting for
// the session's user, on the routes of embedRoutes only.
func (s *Server) authenticateEmbed(r *http.Request, token string) (*request, error) {
	g, err := connect.LookupGrant(r.Context(), s.db, strings.TrimPrefix(token, embedPrefix), connect.GrantEmbed)
	if err != nil {
		return nil, errs.Unauthenticated("The access token is unknown or has expired.")
	}
	if !embedRoutes[r.Pattern] || g.Session.User == nil {
		return nil, errEmbedScope
	}
	if p := r.PathValue("project"); p != g.Session.Project {
		return nil, errs.NotFound("project", p)
	}
	body, bodyErr := readBody(r, s.limit)
	ctx := events.WithActor(r.Context(), events.Actor{Type: "user", User: *g.Session.User})
	return &request{Request: r, ctx: ctx, project: g.Session.Project, body: body, bodyErr: bodyErr, endUser: *g.Session.User}, nil
}

// ownPorting refuses, for an embed token, a porting of another user as
// if it did not exist.
func (s *Server) ownPorting(rq *request, tx *store.Tx, id string) error {
	if rq.endUser == "" {
		return nil
	}
	p, err := s.platform.Subscriptions.Porting.Get(rq.ctx, tx, rq.project, id)
	if err != nil {
		return err
	}
	if p.User != rq.endUser {
		return errs.NotFound("porting", id)
	}
	return nil
}
