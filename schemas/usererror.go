package schemas

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxUserMessage bounds, in characters, the text of a UserError: a message built from submitted
// input (a file name, a header cell) must never echo it unbounded.
const MaxUserMessage = 1000

// UserError is an error whose text is written for the person who caused it: Simplified Chinese,
// bounded, and without internals (lake keys, paths, SQL, Go error text). It is a kind of Err, so
// that errors.Is and the status mapping see through it. A package sentinel may itself be a
// *UserError (ingest.ErrBadHeader), then its text is what users see when no more detailed
// UserError wraps it.
type UserError struct {
	Msg string
	Err error // the kind; nil means internal
}

func (e *UserError) Error() string { return e.Msg }
func (e *UserError) Unwrap() error { return e.Err }

// UserMessage returns the text meant for users.
func (e *UserError) UserMessage() string { return e.Msg }

// Userf returns a *UserError of the given kind with a formatted message, clipped to
// MaxUserMessage characters.
func Userf(kind error, format string, args ...any) error {
	return &UserError{Msg: Clip(fmt.Sprintf(format, args...), MaxUserMessage), Err: kind}
}

// UserMessage returns the outermost text in err's chain written for users: that of an error with
// a UserMessage() string method (*UserError, query's errors). Texts added by plain %w wrapping
// around it are for logs and are not part of it.
func UserMessage(err error) (string, bool) {
	var u interface{ UserMessage() string }
	if errors.As(err, &u) {
		return u.UserMessage(), true
	}
	return "", false
}

// Clip returns s cut to at most n characters (runes), ending in "…" when cut, so that text taken
// from input stays bounded wherever it is echoed or stored. Invalid UTF-8 counts byte by byte.
func Clip(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n { // at most n bytes is at most n runes
		return s
	}
	count := 0
	for i := range s {
		if count == n-1 {
			if _, size := utf8.DecodeRuneInString(s[i:]); i+size == len(s) {
				return s // exactly n runes
			}
			return s[:i] + "…"
		}
		count++
	}
	return s
}
