package schemas

import "errors"

// The root kinds of error. Every package's sentinels wrap one of them (catalog.ErrNotFound is a
// kind of ErrNotFound), so that the HTTP and GraphQL doors map any error to a status in one place.
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
)
