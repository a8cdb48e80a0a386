package query

import "errors"

var (
	// ErrInvalid marks a bad argument of a query (limit, offset, filter value) or a bad config.
	ErrInvalid = errors.New("invalid query")
	// ErrNotFound is returned for an entry that does not exist or is not visible to the principal;
	// the two are deliberately indistinguishable.
	ErrNotFound = errors.New("not found")
	// ErrUnauthenticated is returned when a request carries no valid bearer token.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden is returned when the access decision refuses a read of an entry that exists for
	// the principal (rows of an aggregates-only entry, a masked item).
	ErrForbidden = errors.New("forbidden")
	// ErrTooLarge is returned when a result would exceed the configured limits.
	ErrTooLarge = errors.New("result too large")
	// ErrClosed is returned by a Service after Close.
	ErrClosed = errors.New("query service closed")
)
