package catalog

import (
	"errors"

	"github.com/cqeco/ecolake/schemas"
)

// Sentinels of the catalogue. Callers test with errors.Is; messages wrap them with the entry, field,
// file or offset concerned. The first three are kinds of the schemas roots, so doors map them
// without knowing the catalogue; the others are internal faults.
var (
	// ErrNotFound: no object with that key (or a disabled principal looked up by token).
	ErrNotFound = schemas.Kind("not found", schemas.ErrNotFound)
	// ErrInvalid: a command was rejected by validation; the error is a *schemas.InvalidError
	// naming each field.
	ErrInvalid = schemas.Kind("invalid", schemas.ErrInvalid)
	// ErrConflict: a compare-and-swap lost, e.g. the entry's current snapshot moved.
	ErrConflict = schemas.Kind("conflict", schemas.ErrConflict)
	// ErrLocked: another process holds the catalogue directory.
	ErrLocked = errors.New("catalog directory locked")
	// ErrCorrupt: the journal or checkpoint cannot be read; start-up stops.
	ErrCorrupt = errors.New("catalog corrupt")
	// ErrClosed: the store was closed, or a failed journal write left it unable to accept writes.
	ErrClosed = errors.New("catalog closed")
)
