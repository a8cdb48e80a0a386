package query

import (
	"errors"

	"github.com/cqeco/ecolake/schemas"
)

// Sentinels of the query layer. Those that reach a query's author are kinds of the schemas roots,
// which decide the extensions.code of a GraphQL error; ErrClosed is internal.
var (
	// ErrInvalid marks a bad argument of a query (limit, offset, filter value) or a bad config.
	ErrInvalid = schemas.Kind("invalid query", schemas.ErrInvalid)
	// ErrNotFound is returned for an entry that does not exist or is not visible to the principal;
	// the two are deliberately indistinguishable.
	ErrNotFound = schemas.Kind("not found", schemas.ErrNotFound)
	// ErrUnauthenticated is returned when a request carries no valid bearer token.
	ErrUnauthenticated = schemas.Kind("unauthenticated", schemas.ErrUnauthenticated)
	// ErrForbidden is returned when the access decision refuses a read of an entry that exists for
	// the principal (rows of an aggregates-only entry, a masked item).
	ErrForbidden = schemas.Kind("forbidden", schemas.ErrForbidden)
	// ErrTooLarge is returned when a result would exceed the configured limits.
	ErrTooLarge = schemas.Kind("result too large", schemas.ErrTooLarge)
	// ErrClosed is returned by a Service after Close.
	ErrClosed = errors.New("query service closed")
)

// UserMessage makes a userError's text the one doors outside GraphQL show (schemas.UserMessage).
func (e *userError) UserMessage() string { return e.msg }

// Extensions gives every userError a GraphQL extensions.code from the one kind-to-code table,
// schemas.CodeOf (graphql-go reads it from the error a resolver returns), and the problems of a
// refused input field by field.
func (e *userError) Extensions() map[string]any {
	ext := map[string]any{"code": schemas.CodeOf(e.err)}
	if len(e.problems) > 0 {
		ext["problems"] = problemList(e.problems)
	}
	return ext
}

// Codes in the extensions of an error, for clients that act on the kind rather than the text.
const (
	codeSyntax     = "GRAPHQL_PARSE_FAILED"
	codeValidation = "GRAPHQL_VALIDATION_FAILED"
	codeBadInput   = "BAD_USER_INPUT"
	codeExecution  = "EXECUTION_FAILED"
	codeTimeout    = "TIMEOUT"
	codeInternal   = "INTERNAL"
)
