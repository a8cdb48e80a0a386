package schemas

import "errors"

// The root kinds of error. Every package's sentinels wrap one of them (catalog.ErrNotFound is a
// kind of ErrNotFound), so that the HTTP and GraphQL doors map any error to a status in one place.
// An error of none of these kinds is internal: doors show a generic message and log the detail.
var (
	// ErrInvalid marks a value that does not fit the vocabulary (type, code list, identifier) or
	// a request that is malformed.
	ErrInvalid = errors.New("invalid value")
	// ErrNotFound marks an object that does not exist, or does not exist for the caller.
	ErrNotFound = errors.New("not found")
	// ErrConflict marks a change that lost a race or contradicts the current state.
	ErrConflict = errors.New("conflict")
	// ErrForbidden marks an action the caller may not take on an object that exists for it.
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthenticated marks a request without a valid identity.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrTooLarge marks a request or a result beyond a configured bound.
	ErrTooLarge = errors.New("too large")
	// ErrBusy marks a request refused because as many of its kind as allowed are in progress;
	// the same request later may succeed.
	ErrBusy = errors.New("busy")
)

// ErrUnprocessable is a kind of ErrInvalid: the request was well formed but what it carries (a
// submitted file's header or encoding) cannot be processed. HTTP answers it with 422, not 400.
var ErrUnprocessable = Kind("unprocessable content", ErrInvalid)

// Kind returns a sentinel with its own text that is also a kind of parent:
// errors.Is(Kind(msg, parent), parent) holds. Its text is for logs; doors show the generic message
// of the parent's kind. Use UserError for a sentinel whose text is written for users.
func Kind(msg string, parent error) error { return &kind{msg: msg, parent: parent} }

type kind struct {
	msg    string
	parent error
}

func (k *kind) Error() string { return k.msg }
func (k *kind) Unwrap() error { return k.parent }

// Codes of the error kinds, as GraphQL's extensions.code and the "code" of HTTP error bodies.
const (
	CodeInvalid         = "INVALID"
	CodeNotFound        = "NOT_FOUND"
	CodeConflict        = "CONFLICT"
	CodeForbidden       = "FORBIDDEN"
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeTooLarge        = "TOO_LARGE"
	CodeBusy            = "BUSY"
	CodeInternal        = "INTERNAL"
)

// codes is checked in order: an error joined from several kinds takes the first that matches.
var codes = []struct {
	kind error
	code string
}{
	{ErrUnauthenticated, CodeUnauthenticated},
	{ErrForbidden, CodeForbidden},
	{ErrNotFound, CodeNotFound},
	{ErrConflict, CodeConflict},
	{ErrTooLarge, CodeTooLarge},
	{ErrBusy, CodeBusy},
	{ErrInvalid, CodeInvalid},
}

// CodeOf returns the code of err's kind, CodeInternal when it is of no kind, "" for nil.
func CodeOf(err error) string {
	if err == nil {
		return ""
	}
	for _, c := range codes {
		if errors.Is(err, c.kind) {
			return c.code
		}
	}
	return CodeInternal
}
