// Package connectweb serves the Connect pages at /connect/: the hosted
// end-user pages a Connect session's url opens (docs/connect.md). They
// are server-rendered from embedded templates, one file per page, with
// embedded styles and no JavaScript; every form carries the browser
// session's CSRF token; the session cookie is HttpOnly and SameSite, and
// Secure on an https public URL. They call the same domain services as the
// API, acting as the session's user.
package connectweb

import (
	"context"
	"crypto/subtle"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"cellgate/internal/connect"
	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/outbound"
	"cellgate/internal/platform"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/users"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// cookieName holds the browser session's token; only its hash is stored.
const cookieName = "cellgate_connect"

// CSP is the pages' Content Security Policy: no script at all, styles
// and images from cellgate only, forms post back to cellgate only.
const CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// Config wires the pages.
type Config struct {
	DB        *store.DB
	Platform  *platform.Platform
	Logger    *slog.Logger
	PublicURL string
}

// Pages serves /connect/.
type Pages struct {
	db       *store.DB
	platform *platform.Platform
	log      *slog.Logger
	base     string
	secure   bool
	pages    map[string]*template.Template
	mux      *http.ServeMux
}

// New builds the pages and their routes.
func New(cfg Config) *Pages {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Pages{db: cfg.DB, platform: cfg.Platform, log: cfg.Logger, base: cfg.PublicURL,
		secure: strings.HasPrefix(cfg.PublicURL, "https://"), pages: parse(), mux: http.NewServeMux()}
	static, _ := fs.Sub(staticFS, "static")
	p.mux.Handle("GET /connect/static/", http.StripPrefix("/connect/static/", http.FileServerFS(static)))
	p.mux.HandleFunc("GET /connect/entry", p.entry)
	p.handle("GET /connect/s/{session}", p.start)
	p.handle("POST /connect/s/{session}/login", p.login)
	p.handle("POST /connect/s/{session}/code", p.code)
	p.handle("POST /connect/s/{session}/checkout", p.checkout)
	p.handle("GET /connect/s/{session}/done", p.done)
	p.handle("GET /connect/s/{session}/esim/{subscription}", p.esim)
	p.handle("POST /connect/s/{session}/act", p.act)
	p.mux.HandleFunc("/connect/", func(w http.ResponseWriter, r *http.Request) {
		p.render(w, r, http.StatusNotFound, "error", nil, errs.NotFound("page", r.URL.Path))
	})
	return p
}

func parse() map[string]*template.Template {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name != "layout" {
			out[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", f))
		}
	}
	return out
}

func (p *Pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// Pages show personal data and eSIM credentials: never cached.
	h.Set("Cache-Control", "private, no-store")
	p.mux.ServeHTTP(w, r)
}

// visit is one request of a signed-in browser session.
type visit struct {
	*http.Request
	ctx     context.Context
	grant   *connect.Grant
	s       *connect.Record
	project *projects.Project
	user    *users.User
	locale  string
}

// reply is what a handler returns: a page, or a place to go.
type reply struct {
	page     string
	status   int
	data     any
	redirect string
}

// handle registers a route behind the browser session: the cookie's grant
// must be for the session in the path, and a POST must carry its CSRF
// token.
func (p *Pages) handle(pattern string, h func(v *visit) (*reply, error)) {
	p.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		v, err := p.visit(r)
		if err != nil {
			p.fail(w, r, v, err)
			return
		}
		rep, err := h(v)
		if err != nil {
			p.fail(w, r, v, err)
			return
		}
		if rep.redirect != "" {
			http.Redirect(w, r, rep.redirect, http.StatusSeeOther)
			return
		}
		if rep.status == 0 {
			rep.status = http.StatusOK
		}
		p.render(w, r, rep.status, rep.page, v, rep.data)
	})
}

var errCSRF = errs.PermissionDenied("csrfTokenInvalid", "The form has expired. Go back, reload the page and try again.")

func (p *Pages) visit(r *http.Request) (*visit, error) {
	token := ""
	if c, err := r.Cookie(cookieName); err == nil {
		token = c.Value
	}
	g, err := connect.LookupGrant(r.Context(), p.db, token, connect.GrantPage)
	if err != nil || g.Session.ID != r.PathValue("session") {
		return nil, connect.ErrExpired
	}
	v := &visit{Request: r, grant: g, s: g.Session, locale: "en-US"}
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return v, errs.Malformed("formInvalid", "The form cannot be read.")
		}
		if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(g.CSRF)) != 1 {
			return v, errCSRF
		}
	}
	if v.project, err = projects.Get(r.Context(), p.db, g.Session.Project); err != nil {
		return v, err
	}
	actor := events.Actor{Type: "user"}
	if g.Session.User != nil {
		actor.User = *g.Session.User
		if v.user, err = users.Get(r.Context(), p.db, v.s.Project, *g.Session.User); err != nil {
			return v, err
		}
		v.locale = v.user.PreferredLocale
	} else if d := g.Session.Details; d != nil && d.PreferredLocale != nil {
		v.locale = *d.PreferredLocale
	}
	v.ctx = events.WithActor(r.Context(), actor)
	return v, nil
}

// change runs fn in one transaction on the project's clock, then the
// outside calls it recorded (a test project's before answering).
func (p *Pages) change(v *visit, fn func(tx *store.Tx, now time.Time) error) error {
	// fn's calls use v.ctx: it tracks the outbound operations they record.
	ctx := outbound.Track(v.ctx)
	v.ctx = ctx
	err := p.db.InTx(ctx, func(tx *store.Tx) error {
		now, err := projects.Now(ctx, tx, v.s.Project)
		if err != nil {
			return err
		}
		// The session is read again, locked, inside the change.
		if v.s, err = connect.Load(ctx, tx, v.s.Project, v.s.ID); err != nil {
			return err
		}
		return fn(tx, now)
	})
	if err != nil {
		return err
	}
	p.runOutbound(ctx)
	return nil
}

func (p *Pages) runOutbound(ctx context.Context) {
	if err := p.platform.Outbound.RunTracked(ctx); err != nil {
		p.log.ErrorContext(ctx, "outbound operations after a Connect page", "error", err)
	}
}

func (p *Pages) fail(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	e, ok := errs.As(err)
	if !ok {
		id := w.Header().Get("X-Request-Id")
		p.log.ErrorContext(r.Context(), "connect page", "error", err.Error(), "requestId", id)
		e = &errs.Error{Kind: errs.KindInternal, Code: "unknown", Message: "Something went wrong on our side. Quote " + id + " if you contact support."}
	}
	if e.Code == connect.ErrExpired.Code || e.Code == connect.ErrUsed.Code {
		p.render(w, r, http.StatusGone, "expired", v, e)
		return
	}
	p.render(w, r, errs.HTTPStatus(e.Kind), "error", v, e)
}

func (p *Pages) setCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	// Lax, not Strict: the link arrives from the brand's app or email, and
	// the redirect that follows must carry the cookie.
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: value, Path: "/connect/", MaxAge: maxAge,
		HttpOnly: true, Secure: p.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// entry redeems a session url's token for a browser session and sends the
// browser to the session's pages, so the token leaves the address bar at
// once. A used or expired link gets a page that says so.
func (p *Pages) entry(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, token := q.Get("session"), q.Get("token")
	var (
		grant string
		rec   *connect.Record
	)
	err := p.db.InTx(r.Context(), func(tx *store.Tx) error {
		found, err := connect.FindByToken(r.Context(), tx, token)
		if err != nil {
			return connect.ErrExpired
		}
		now, err := projects.Now(r.Context(), tx, found.Project)
		if err != nil {
			return err
		}
		grant, rec, err = connect.Redeem(r.Context(), tx, id, token, connect.GrantPage, now)
		if err != nil && rec == nil {
			rec = found
		}
		return err
	})
	if err != nil {
		var v *visit
		if rec != nil {
			v = &visit{Request: r, s: rec, locale: "en-US"}
			v.project, _ = projects.Get(r.Context(), p.db, rec.Project)
		}
		if e, ok := errs.As(err); ok && e.Kind == errs.KindNotFound {
			err = connect.ErrExpired
		}
		p.fail(w, r, v, err)
		return
	}
	p.setCookie(w, r, grant, int(connect.GrantTTL.Seconds()))
	http.Redirect(w, r, "/connect/s/"+rec.ID, http.StatusSeeOther)
}
