package catalog

import "errors"

// Sentinels of the catalogue. Callers test with errors.Is; messages wrap them with the entry, field,
// file or offset concerned.
var (
	// ErrNotFound: no object with that key (or a disabled principal looked up by token).
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a command was rejected by validation; the message names the field.
	ErrInvalid = errors.New("invalid")
	// ErrConflict: a compare-and-swap lost, e.g. the entry's current snapshot moved.
	ErrConflict = errors.New("conflict")
	// ErrLocked: another process holds the catalogue directory.
	ErrLocked = errors.New("catalog directory locked")
	// ErrCorrupt: the journal or checkpoint cannot be read; start-up stops.
	ErrCorrupt = errors.New("catalog corrupt")
	// ErrClosed: the store was closed, or a failed journal write left it unable to accept writes.
	ErrClosed = errors.New("catalog closed")
)
