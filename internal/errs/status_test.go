package errs

import (
	"net/http"
	"testing"
)

func TestEachKindHasItsOneStatus(t *testing.T) {
	for _, c := range []struct {
		kind Kind
		want int
	}{
		{KindMalformed, http.StatusBadRequest}, {KindUnauthenticated, http.StatusUnauthorized},
		{KindPermissionDenied, http.StatusForbidden}, {KindNotFound, http.StatusNotFound},
		{KindInvalid, http.StatusUnprocessableEntity}, {KindConflict, http.StatusConflict},
		{KindTooManyRequests, http.StatusTooManyRequests}, {KindInternal, http.StatusInternalServerError},
		{Kind("somethingNew"), http.StatusInternalServerError},
	} {
		if got := HTTPStatus(c.kind); got != c.want {
			t.Errorf("HTTPStatus(%s) = %d, want %d", c.kind, got, c.want)
		}
	}
}
