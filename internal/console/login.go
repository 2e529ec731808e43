package console

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"cellgate/internal/errs"
	"cellgate/internal/operators"
	"cellgate/internal/secret"
)

// loginData is what the login page shows.
type loginData struct {
	Token, Next, Email string
	Error              *errs.Error
}

// secureRequest says whether cookies must be Secure: on an https public
// URL, or a request that came over TLS.
func (c *Console) secureRequest(r *http.Request) bool { return c.secure || r.TLS != nil }

func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/console", MaxAge: maxAge,
		HttpOnly: true, Secure: c.secureRequest(r), SameSite: http.SameSiteStrictMode})
}

// loginForm shows the login form with a fresh double-submit token.
func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	token := secret.Token(32)
	c.setCookie(w, r, loginCookie, token, 3600)
	c.render(w, r, http.StatusOK, "login", nil, loginData{Token: token, Next: safeNext(r.URL.Query().Get("next"))})
}

// login checks the form's token against its cookie, then the password
// (throttled per email), and opens a session. Neither the password nor the
// session token is ever logged.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, nil, errs.Malformed("formInvalid", "The form cannot be read."))
		return
	}
	ck, err := r.Cookie(loginCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostForm.Get("csrf"))) != 1 {
		c.fail(w, r, nil, errCSRF)
		return
	}
	email, next := strings.TrimSpace(r.PostForm.Get("email")), safeNext(r.PostForm.Get("next"))
	token, err := operators.Login(r.Context(), c.db, email, r.PostForm.Get("password"), strings.TrimSpace(r.PostForm.Get("code")), c.now())
	if err != nil {
		e, ok := errs.As(err)
		if !ok {
			c.fail(w, r, nil, err)
			return
		}
		c.render(w, r, errs.HTTPStatus(e.Kind), "login", nil, loginData{Token: ck.Value, Next: next, Email: email, Error: e})
		return
	}
	c.setCookie(w, r, loginCookie, "", -1)
	c.setCookie(w, r, sessionCookie, token, int(operators.SessionTTL.Seconds()))
	if next == "" {
		next = "/console/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// safeNext keeps a post-login destination only when it is a console path,
// so the login form cannot send anyone elsewhere.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/console/") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return ""
}

func (c *Console) logout(rq *request) (*answer, error) {
	if ck, err := rq.Cookie(sessionCookie); err == nil {
		if err := operators.Logout(rq.ctx, c.db, ck.Value); err != nil {
			return nil, err
		}
	}
	return &answer{redirect: "/console/login"}, nil
}
