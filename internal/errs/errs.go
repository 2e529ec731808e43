// Package errs holds the typed errors that domain code returns. The HTTP edge
// turns each Kind into the documented error envelope and status; domain code
// never chooses a status itself.
package errs

import (
	"errors"
	"fmt"
)

// Kind is the error type of the API envelope.
type Kind string

// The error types of the reference (§1.5). Their HTTP statuses are fixed by
// the api package.
const (
	KindMalformed        Kind = "malformed"
	KindUnauthenticated  Kind = "unauthenticated"
	KindPermissionDenied Kind = "permissionDenied"
	KindNotFound         Kind = "notFound"
	KindInvalid          Kind = "invalid"
	KindConflict         Kind = "conflict"
	KindTooManyRequests  Kind = "tooManyRequests"
	KindInternal         Kind = "internal"
)

// Error is an error a client can act on. Message is shown to the client; it
// must never contain secrets.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Hint    string
}

func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s (%s): %s", e.Kind, e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Message)
}

// WithHint returns a copy of e carrying a hint.
func (e *Error) WithHint(format string, args ...any) *Error {
	c := *e
	c.Hint = fmt.Sprintf(format, args...)
	return &c
}

// Invalid is a request that is well-formed but breaks a rule (422).
func Invalid(code, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Malformed is a request that cannot be parsed (400).
func Malformed(code, format string, args ...any) *Error {
	return &Error{Kind: KindMalformed, Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFound names the kind of object that does not exist (404).
func NotFound(object, id string) *Error {
	return &Error{Kind: KindNotFound, Code: object + "NotFound", Message: fmt.Sprintf("The %s %q does not exist.", object, id)}
}

// Conflict is a request that clashes with the current state (409).
func Conflict(code, format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Code: code, Message: fmt.Sprintf(format, args...)}
}

// PermissionDenied is an authenticated request that is not allowed (403).
func PermissionDenied(code, format string, args ...any) *Error {
	return &Error{Kind: KindPermissionDenied, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Unauthenticated is a request without valid credentials (401).
func Unauthenticated(format string, args ...any) *Error {
	return &Error{Kind: KindUnauthenticated, Code: "unauthenticated", Message: fmt.Sprintf(format, args...)}
}

// As returns the *Error inside err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsKind reports whether err is an *Error of kind k.
func IsKind(err error, k Kind) bool {
	e, ok := As(err)
	return ok && e.Kind == k
}
