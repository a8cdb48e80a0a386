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
	// ErrTooLarge is returned when a result would exceed the configured limits.
	ErrTooLarge = errors.New("result too large")
	// ErrClosed is returned by a Service after Close.
	ErrClosed = errors.New("query service closed")
)

// Codes in the extensions of an error, for clients that act on the kind rather than the text.
const (
	codeSyntax     = "GRAPHQL_PARSE_FAILED"
	codeValidation = "GRAPHQL_VALIDATION_FAILED"
	codeBadInput   = "BAD_USER_INPUT"
	codeExecution  = "EXECUTION_FAILED"
	codeTimeout    = "TIMEOUT"
	codeInternal   = "INTERNAL"
)
