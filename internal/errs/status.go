package errs

import "net/http"

// statusOf maps each error kind to its one HTTP status: the kind of the
// documented error envelope fixes the status (docs/conventions.md), for
// the API and the pages alike.
var statusOf = map[Kind]int{
	KindMalformed:        http.StatusBadRequest,
	KindUnauthenticated:  http.StatusUnauthorized,
	KindPermissionDenied: http.StatusForbidden,
	KindNotFound:         http.StatusNotFound,
	KindInvalid:          http.StatusUnprocessableEntity,
	KindConflict:         http.StatusConflict,
	KindTooManyRequests:  http.StatusTooManyRequests,
	KindInternal:         http.StatusInternalServerError,
}

// HTTPStatus is the status of an error of kind k; an unknown kind is an
// internal error.
func HTTPStatus(k Kind) int {
	if s, ok := statusOf[k]; ok {
		return s
	}
	return http.StatusInternalServerError
}
