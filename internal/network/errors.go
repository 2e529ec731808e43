package network

import (
	"errors"
	"fmt"
)

// Error codes of the contract. The outbound worker retries only errors
// marked Retryable; the others are the carrier's final answer.
const (
	// Retryable: the carrier could not answer now.
	CodeUnavailable = "unavailable"
	CodeTimeout     = "timeout"
	CodeRateLimited = "rateLimited"

	// Final: the request is wrong or the carrier refused it.
	CodeInvalidRequest        = "invalidRequest"
	CodeUnauthorized          = "unauthorized"
	CodeIdempotencyKeyReused  = "idempotencyKeyReused"
	CodeLineNotFound          = "lineNotFound"
	CodeLineNotActive         = "lineNotActive"
	CodeProfileNotFound       = "profileNotFound"
	CodeProfileAlreadyExists  = "profileAlreadyExists"
	CodeActivationRejected    = "activationRejected"
	CodeRestoreRejected       = "restoreRejected"
	CodePortingNotFound       = "portingNotFound"
	CodePortingAlreadyExists  = "portingAlreadyExists"
	CodePortingNotCancelable  = "portingNotCancelable"
	CodePortingNotUpdatable   = "portingNotUpdatable"
	CodeOperationNotSupported = "operationNotSupported"
)

// retryableCodes are the codes that are retryable whatever the carrier
// says, so a misbehaving adapter cannot turn an outage into a final answer.
var retryableCodes = map[string]bool{CodeUnavailable: true, CodeTimeout: true, CodeRateLimited: true}

// Error is the one error type a Provider returns for a carrier's answer.
type Error struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable"`
}

func (e *Error) Error() string {
	if e.Retryable {
		return fmt.Sprintf("carrier: %s (retryable): %s", e.Code, e.Message)
	}
	return fmt.Sprintf("carrier: %s: %s", e.Code, e.Message)
}

// Permanent tells the outbound worker that another attempt cannot help.
func (e *Error) Permanent() bool { return !e.Retryable }

// Errorf builds an Error; the retryable flag follows the code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Retryable: retryableCodes[code]}
}

// AsError finds the carrier Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsRetryable tells whether a call that failed with err may be made
// again with the same idempotency key.
func IsRetryable(err error) bool {
	e, ok := AsError(err)
	return ok && e.Retryable
}

// DeclineCodes are the porting decline codes of the reference (§2.8): a
// carrier's decline reason is mapped to one of them.
var DeclineCodes = []string{
	"portingAccountNumberRequiredOrInvalid",
	"portingAccountPinRequiredOrInvalid",
	"portingDeclined",
	"portingDuplicated",
	"portingFirstNameRequiredOrInvalid",
	"portingLastNameRequiredOrInvalid",
	"portingPendingOtherProvider",
	"portingPhoneNumberAdministrative",
	"portingPhoneNumberNotActive",
	"portingPhoneNumberNotFound",
	"portingPhoneNumberPortProtected",
	"portingPhoneNumberPrepaid",
	"portingSameNewAndOldNetworkProvider",
	"portingUserInformationMismatch",
	"portingZipCodeRequiredOrInvalid",
	"portingAddressRequiredOrInvalid",
}
