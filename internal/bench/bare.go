package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"time"

	"cellgate/internal/ids"
	"cellgate/internal/store"
)

// The bare baseline: the same single-row read and insert the API does for
// GET /users/{id} and POST /users, on the same schema and driver, with
// nothing around it but net/http and encoding/json. It has no auth, no
// validation beyond a required email, no request ids, metrics, logging,
// transaction or event. Statements are prepared once, as a careful
// hand-written service would do (the store caches them too).

const bareUserColumns = `id, email, email_verified, full_name, birthday, preferred_locale, status, metadata, created_at`

type bareHandler struct {
	get, insert *sql.Stmt
	read, write *sql.DB
}

// bareUser has the API's user shape, so both sides encode the same JSON.
type bareUser struct {
	Object          string          `json:"object"`
	ID              string          `json:"id"`
	Birthday        *string         `json:"birthday"`
	CreatedAt       time.Time       `json:"createdAt"`
	Email           string          `json:"email"`
	EmailVerified   bool            `json:"emailVerified"`
	FullName        *string         `json:"fullName"`
	Metadata        json.RawMessage `json:"metadata"`
	PreferredLocale string          `json:"preferredLocale"`
	Status          string          `json:"status"`
}

type bareCreate struct {
	Email    string  `json:"email"`
	FullName *string `json:"fullName"`
}

// StartBare migrates dbURL, creates a project row for the foreign key, then
// opens its own connections with the driver and pragmas the store uses and
// seeds n users with the bare insert.
func StartBare(ctx context.Context, dbURL string, n int) (*Target, error) {
	t := &Target{Name: "bare", Project: newProjectID()}
	if err := ensureSchema(ctx, dbURL, t.Project); err != nil {
		return nil, fmt.Errorf("bench: bare schema: %w", err)
	}
	h, err := openBare(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	t.closers = append(t.closers, h.close)
	t.writerExec = func(ctx context.Context, q string) error { _, err := h.write.ExecContext(ctx, q); return err }
	now := time.Now().UTC().Truncate(time.Second)
	for i := range n {
		u, err := h.create(ctx, t.Project, bareCreate{Email: seedEmail(t.Project, i), FullName: ptr(seedName(i))}, now)
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("bench: seed bare users: %w", err)
		}
		t.UserIDs = append(t.UserIDs, u.ID)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /projects/{project}/users/{user}", h.serveGet)
	mux.HandleFunc("POST /projects/{project}/users", h.servePost)
	t.Handler = mux
	return t, nil
}

func ptr[T any](v T) *T { return &v }

func openBare(ctx context.Context, dbURL string) (*bareHandler, error) {
	h := &bareHandler{}
	get := `SELECT ` + bareUserColumns + ` FROM users WHERE id = ? AND project_id = ? AND status <> 'deleted'`
	insert := `INSERT INTO users (id, project_id, email, email_key, email_verified, full_name, birthday, preferred_locale, status, metadata, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	switch {
	case strings.HasPrefix(dbURL, "sqlite:"):
		// The DSNs of store.openSQLite: one writer, a read pool.
		base := "file:" + strings.TrimPrefix(dbURL, "sqlite:") + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
		var err error
		if h.write, err = sql.Open("sqlite", base+"&_pragma=journal_mode(WAL)&_txlock=immediate"); err != nil {
			return nil, err
		}
		h.write.SetMaxOpenConns(1)
		h.write.SetMaxIdleConns(1)
		if h.read, err = sql.Open("sqlite", base+"&_pragma=query_only(1)"); err != nil {
			h.write.Close()
			return nil, err
		}
		readers := max(4, 2*runtime.GOMAXPROCS(0))
		h.read.SetMaxOpenConns(readers)
		h.read.SetMaxIdleConns(readers)
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		pool, err := sql.Open("pgx", dbURL)
		if err != nil {
			return nil, err
		}
		pool.SetMaxOpenConns(32)
		pool.SetMaxIdleConns(32)
		h.read, h.write = pool, pool
		get = dollarPlaceholders(get)
		insert = dollarPlaceholders(insert)
	default:
		return nil, fmt.Errorf("bench: unsupported database URL (want sqlite:PATH or postgres://...)")
	}
	var err error
	if h.get, err = h.read.PrepareContext(ctx, get); err == nil {
		h.insert, err = h.write.PrepareContext(ctx, insert)
	}
	if err != nil {
		h.close()
		return nil, fmt.Errorf("bench: bare prepare: %w", err)
	}
	return h, nil
}

// dollarPlaceholders numbers ? placeholders for PostgreSQL; the bare
// queries hold no quoted question marks.
func dollarPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (h *bareHandler) close() error {
	if h.get != nil {
		h.get.Close()
	}
	if h.insert != nil {
		h.insert.Close()
	}
	err := h.read.Close()
	if h.write != h.read {
		err = errors.Join(err, h.write.Close())
	}
	return err
}

func (h *bareHandler) serveGet(w http.ResponseWriter, r *http.Request) {
	var (
		u                  bareUser
		fullName, birthday sql.NullString
		md                 string
		createdAt          int64
	)
	err := h.get.QueryRowContext(r.Context(), r.PathValue("user"), r.PathValue("project")).
		Scan(&u.ID, &u.Email, &u.EmailVerified, &fullName, &birthday, &u.PreferredLocale, &u.Status, &md, &createdAt)
	if errors.Is(err, sql.ErrNoRows) {
		http.Error(w, `{"object":"error","type":"notFound"}`, http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	u.Object, u.CreatedAt, u.Metadata = "user", time.UnixMicro(createdAt).UTC(), json.RawMessage(md)
	if fullName.Valid {
		u.FullName = &fullName.String
	}
	if birthday.Valid {
		u.Birthday = &birthday.String
	}
	bareJSON(w, http.StatusOK, &u)
}

func (h *bareHandler) servePost(w http.ResponseWriter, r *http.Request) {
	var in bareCreate
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil || in.Email == "" {
		http.Error(w, `{"object":"error","type":"invalid"}`, http.StatusBadRequest)
		return
	}
	u, err := h.create(r.Context(), r.PathValue("project"), in, time.Now().UTC().Truncate(time.Second))
	if store.IsUniqueViolation(err) {
		http.Error(w, `{"object":"error","type":"conflict"}`, http.StatusConflict)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	bareJSON(w, http.StatusCreated, u)
}

// create is one autocommitted INSERT on the writer connection.
func (h *bareHandler) create(ctx context.Context, project string, in bareCreate, now time.Time) (*bareUser, error) {
	u := &bareUser{Object: "user", ID: ids.New(ids.User), CreatedAt: now, Email: in.Email, FullName: in.FullName,
		Metadata: json.RawMessage(`{}`), PreferredLocale: "en-US", Status: "active"}
	_, err := h.insert.ExecContext(ctx, u.ID, project, u.Email, strings.ToLower(u.Email), false, u.FullName, nil,
		u.PreferredLocale, u.Status, string(u.Metadata), now.UnixMicro())
	return u, err
}

func bareJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
