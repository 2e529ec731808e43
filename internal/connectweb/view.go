package connectweb

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"cellgate/internal/connect"
	"cellgate/internal/money"
)

var funcs = template.FuncMap{
	"money": func(p money.Price) string { return money.Format(p.Amount, p.Currency) },
	"day": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format("January 2, 2006")
		case *time.Time:
			if v != nil {
				return v.UTC().Format("January 2, 2006")
			}
		}
		return ""
	},
}

// frame is what every template gets: the page's data and what surrounds
// it (brand, theme, language, the form token, the way back to the brand).
type frame struct {
	Data     any
	Brand    string
	Theme    string
	Lang     string
	CSRF     string
	Base     string
	Callback string
	Intent   string
	M        map[string]string
}

func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, page string, v *visit, data any) {
	t, ok := p.pages[page]
	if !ok {
		panic("connectweb: no template " + page)
	}
	f := frame{Data: data, Brand: "cellgate", Theme: connect.ThemeLight, Lang: "en-US", M: messages("en-US")}
	if v != nil {
		if v.project != nil {
			f.Brand = v.project.Name
		}
		if v.s != nil {
			f.Theme, f.Base, f.Intent = v.s.Appearance.Theme, "/connect/s/"+v.s.ID, v.s.Intent.Type
			if v.s.CallbackURL != nil {
				f.Callback = *v.s.CallbackURL
			}
		}
		if v.grant != nil {
			f.CSRF = v.grant.CSRF
		}
		f.Lang, f.M = localeOf(v.locale), messages(v.locale)
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", f); err != nil {
		p.log.ErrorContext(r.Context(), "connect template", "page", page, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}
