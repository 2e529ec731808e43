// Package console is the operator console served at /console: embedded
// html/template pages, one file per page, behind operator sessions with a
// role per project (docs/console.md). Every action calls the same domain
// services as the API, in one transaction with its events, whose actor is
// the operator ({type: "member"}).
package console

import (
	"context"
	"crypto/subtle"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/operators"
	"cellgate/internal/outbound"
	"cellgate/internal/platform"
	"cellgate/internal/projects"
	"cellgate/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Cookie names. The session cookie holds a random token whose hash is the
// session's key; the login cookie is the double-submit CSRF token of the
// login form, the one form sent before a session exists.
const (
	sessionCookie = "cellgate_console"
	loginCookie   = "cellgate_console_login"
)

// Config wires a Console.
type Config struct {
	DB       *store.DB
	Platform *platform.Platform
	Logger   *slog.Logger
	// PublicURL is the server's public base URL: an https one makes every
	// cookie Secure (so does a request that arrived over TLS).
	PublicURL string
	// Now is the wall clock of sessions and login throttling; nil is
	// time.Now.
	Now func() time.Time
}

// Console serves the operator pages.
type Console struct {
	db       *store.DB
	platform *platform.Platform
	log      *slog.Logger
	source   string
	secure   bool
	now      func() time.Time
	pages    map[string]*template.Template
	mux      *http.ServeMux
	// routes lists every console route pattern, for the security test.
	routes []string
}

// New builds the console and its routes.
func New(cfg Config) *Console {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Platform == nil {
		cfg.Platform = platform.New(cfg.DB, cfg.Logger, nil)
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = events.DefaultSource
	}
	c := &Console{db: cfg.DB, platform: cfg.Platform, log: cfg.Logger, source: cfg.PublicURL, now: cfg.Now,
		secure: strings.HasPrefix(cfg.PublicURL, "https://"), pages: parseTemplates(), mux: http.NewServeMux()}
	static, _ := fs.Sub(staticFS, "static")
	c.mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	c.mux.HandleFunc("GET /console/login", c.loginForm)
	c.mux.HandleFunc("POST /console/login", c.login)
	c.route("POST /console/logout", "", c.logout)
	c.route("GET /console/{$}", "", c.home)
	for _, p := range registry {
		c.route(p.Method()+" /console/p/{project}"+p.path(), p.Nav, p.handler(c))
	}
	c.mux.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, nil, errs.NotFound("page", r.URL.Path))
	})
	return c
}

// Routes lists the patterns of every console route behind a session.
func (c *Console) Routes() []string { return append([]string(nil), c.routes...) }

// ShowsCredentials says whether a route of Routes is one that only owners
// and developers may open.
func (c *Console) ShowsCredentials(route string) bool { return credentialPages[route] }

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Strict CSP: scripts and styles only from the console's own files,
	// no inline code, no framing, forms post back to the console only.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	// Pages show customer data and, to some roles, secrets: no cache.
	h.Set("Cache-Control", "private, no-store")
	c.mux.ServeHTTP(w, r)
}

// request is what a console handler sees.
type request struct {
	*http.Request
	ctx     context.Context // carries the operator as the actor of events
	session *operators.Session
	project *projects.Project
	role    operators.Role
}

// answer is what a handler returns: a page to render, or a place to go.
type answer struct {
	page     string
	data     any
	redirect string
}

type handlerFunc func(rq *request) (*answer, error)

// route registers a handler that needs a session: a GET without one goes
// to the login page, anything else is refused; every POST must carry the
// session's CSRF token. Under /console/p/{project} the session's operator
// must have a role in that project (another project is notFound, as for an
// API key), and nav is the page's navigation entry.
func (c *Console) route(pattern, nav string, h handlerFunc) {
	c.routes = append(c.routes, pattern)
	needsCredentials := credentialPages[pattern]
	c.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		rq, err := c.authenticate(w, r, needsCredentials)
		if err != nil {
			c.fail(w, r, nil, err)
			return
		}
		a, err := h(rq)
		if err != nil {
			c.fail(w, r, rq, err)
			return
		}
		if a.redirect != "" {
			http.Redirect(w, r, a.redirect, http.StatusSeeOther)
			return
		}
		c.render(w, r, http.StatusOK, a.page, rq, a.data)
	})
}

// errCSRF refuses a state change without the session's token.
var errCSRF = errs.PermissionDenied("csrfTokenInvalid", "The form is missing its security token or it has expired; reload the page and try again.")

func (c *Console) authenticate(w http.ResponseWriter, r *http.Request, needsCredentials bool) (*request, error) {
	token := ""
	if ck, err := r.Cookie(sessionCookie); err == nil {
		token = ck.Value
	}
	s, err := operators.Lookup(r.Context(), c.db, token, c.now())
	if err != nil {
		return nil, err
	}
	if r.Method != http.MethodGet {
		if err := r.ParseForm(); err != nil {
			return nil, errs.Malformed("formInvalid", "The form cannot be read.")
		}
		if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(s.CSRF)) != 1 {
			return nil, errCSRF
		}
	}
	ctx := events.WithActor(r.Context(), events.Actor{Type: "member", Member: s.Operator.ID})
	rq := &request{Request: r, ctx: ctx, session: s}
	if id := r.PathValue("project"); id != "" {
		role, ok := s.Roles[id]
		if !ok {
			// Another project's session never learns whether it exists.
			return nil, errs.NotFound("project", id)
		}
		if needsCredentials && !role.SeesCredentials() {
			return nil, errs.PermissionDenied("roleInsufficient", "A %s operator cannot open this page: it shows credentials.", role)
		}
		p, err := projects.Get(ctx, c.db, id)
		if err != nil {
			return nil, err
		}
		rq.project, rq.role = p, role
	}
	return rq, nil
}

// act runs a change in one transaction on the project's clock, as an API
// write does, then performs the carrier calls it recorded (a test
// project's, before answering, as the API does).
func (c *Console) act(rq *request, fn func(ctx context.Context, tx *store.Tx, now time.Time) error) error {
	ctx := outbound.Track(rq.ctx)
	err := c.db.InTx(ctx, func(tx *store.Tx) error {
		now, err := projects.Now(ctx, tx, rq.project.ID)
		if err != nil {
			return err
		}
		return fn(ctx, tx, now)
	})
	if err != nil {
		return err
	}
	if err := c.platform.Outbound.RunTracked(ctx); err != nil {
		c.log.ErrorContext(ctx, "outbound operations after a console action", "error", err)
	}
	return nil
}

// fail answers an error: an anonymous GET goes to the login page; the rest
// get the error page with the status of the error's type.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	e, ok := errs.As(err)
	if !ok {
		id := w.Header().Get("X-Request-Id")
		c.log.ErrorContext(r.Context(), "console", "error", err.Error(), "requestId", id)
		e = &errs.Error{Kind: errs.KindInternal, Code: "unknown", Message: "An internal error occurred. Quote the request id " + id + " when reporting it."}
	}
	if e.Kind == errs.KindUnauthenticated && r.Method == http.MethodGet {
		http.Redirect(w, r, "/console/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	c.render(w, r, errs.HTTPStatus(e.Kind), "error", rq, e)
}

// view is what every template gets: the page's data and the frame around
// it (operator, project, navigation, CSRF token).
type view struct {
	Data     any
	Operator *operators.Operator
	Project  *projects.Project
	Role     operators.Role
	CSRF     string
	Nav      []navEntry
	Path     string
}

type navEntry struct {
	Label, Href string
	Current     bool
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, rq *request, data any) {
	t, ok := c.pages[page]
	if !ok {
		panic("console: no template " + page)
	}
	v := view{Data: data, Path: r.URL.Path}
	if rq != nil && rq.session != nil {
		v.Operator, v.CSRF = &rq.session.Operator, rq.session.CSRF
		if rq.project != nil {
			v.Project, v.Role = rq.project, rq.role
			v.Nav = navFor(rq.project.ID, rq.role, r.URL.Path)
		}
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		c.log.ErrorContext(r.Context(), "console template", "page", page, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// home lists the operator's projects.
func (c *Console) home(rq *request) (*answer, error) {
	var list []string
	for p := range rq.session.Roles {
		list = append(list, p)
	}
	if len(list) == 1 {
		return &answer{redirect: "/console/p/" + list[0] + "/"}, nil
	}
	return &answer{page: "projects", data: rq.session.Roles}, nil
}

func (rq *request) base() string { return "/console/p/" + rq.project.ID }

// formText reads a trimmed form field.
func (rq *request) formText(name string) string { return strings.TrimSpace(rq.PostForm.Get(name)) }

// redirectf is an answer that goes to a console path of the project.
func (rq *request) redirectf(format string, args ...any) *answer {
	return &answer{redirect: rq.base() + fmt.Sprintf(format, args...)}
}
