package api_test

import (
	"net/http"
	"testing"

	"cellgate/internal/apitest"
	"cellgate/internal/email"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestTestProjectEmailsAreCapturedAndReadable: a test project's outbox
// keeps its messages, readable newest first at
// GET /testing/projects/{p}/emails; a live project's are sent, and the
// endpoint refuses it.
func TestTestProjectEmailsAreCapturedAndReadable(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		now := w.now()
		for _, subject := range []string{"First", "Second"} {
			err := db.InTx(t.Context(), func(tx *store.Tx) error {
				_, err := email.Send(t.Context(), tx, w.Project, "jerry@example.com", subject, "Hello", now)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		var page struct {
			Items []struct{ To, Subject, Status string }
		}
		w.Get("/testing/projects/" + w.Project + "/emails").Expect(http.StatusOK).Decode(&page)
		if len(page.Items) != 2 || page.Items[0].Subject != "Second" || page.Items[0].Status != "captured" || page.Items[1].To != "jerry@example.com" {
			t.Fatalf("emails = %+v", page.Items)
		}
		key := w.NewProject("prod", projects.TypeLive)
		w.Do(apitest.Request{Method: http.MethodGet, Path: "/testing/projects/prod/emails", Key: key}).
			ExpectError(http.StatusForbidden, "permissionDenied", "liveProjectEmails")
	})
}
