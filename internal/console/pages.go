package console

import (
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strings"

	"cellgate/internal/operators"
)

// Page is one route of a project's console, under /console/p/{project}.
// The extension point for features to come (usage charts, portings,
// payments): a file of this package declares its pages and registers them
// in init with Register; the route, the session, the CSRF check, the
// project's role check and the navigation entry come with it, and the
// security test (TestEveryConsoleRouteRefusesStrangers) covers it at once.
type Page struct {
	// Route is "GET /path" or "POST /path" below the project, such as
	// "GET /users/{user}". "GET /" is the overview.
	Route string
	// Nav, when set, adds the page to the navigation under this label (a
	// GET without path parameters), at its Order: Overview 10, Users 20,
	// Subscriptions 30, Invoices 40, Events 50, Developers 90; a usage,
	// portings or payments page takes a number in between.
	Nav   string
	Order int
	// Credentials restricts the page to roles that see credentials (owner
	// and developer): API keys, webhook secrets, SIM credentials.
	Credentials bool
	// Handle answers the request: a page to render (a template file of
	// templates/, without .html) or a redirect after a change.
	Handle func(c *Console, rq *request) (*answer, error)
}

// Method is the page's HTTP method.
func (p Page) Method() string { m, _, _ := strings.Cut(p.Route, " "); return m }

func (p Page) path() string { _, path, _ := strings.Cut(p.Route, " "); return path }

func (p Page) handler(c *Console) handlerFunc {
	return func(rq *request) (*answer, error) { return p.Handle(c, rq) }
}

// registry holds every page, in registration order.
var registry []Page

// credentialPages are the full patterns of pages only credential-seeing
// roles may open.
var credentialPages = map[string]bool{}

// Register adds pages to the console. It is meant for init functions;
// every Console built afterwards serves them.
func Register(pages ...Page) {
	for _, p := range pages {
		if p.Method() != http.MethodGet && p.Method() != http.MethodPost {
			panic("console: page route must be GET or POST: " + p.Route)
		}
		registry = append(registry, p)
		if p.Credentials {
			credentialPages[p.Method()+" /console/p/{project}"+p.path()] = true
		}
	}
}

// navFor is the navigation of a project for a role: every registered page
// with a label that the role may open.
func navFor(project string, role operators.Role, current string) []navEntry {
	var out []navEntry
	base := "/console/p/" + project
	pages := slices.Clone(registry)
	slices.SortStableFunc(pages, func(a, b Page) int { return a.Order - b.Order })
	for _, p := range pages {
		if p.Nav == "" || (p.Credentials && !role.SeesCredentials()) {
			continue
		}
		href := base + p.path()
		cur := current == href || (p.path() != "/" && strings.HasPrefix(current, href+"/"))
		out = append(out, navEntry{Label: p.Nav, Href: href, Current: cur})
	}
	return out
}

// parseTemplates parses the layout with each page file: one template set
// per page, so pages may each define "content" and "title".
func parseTemplates() map[string]*template.Template {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		out[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", f))
	}
	return out
}
