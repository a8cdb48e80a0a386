package lake

import (
	"errors"

	"github.com/cqeco/ecolake/schemas"
)

// ErrNotFound, ErrInvalidKey and ErrUnavailable are kinds of the schemas roots; the others are internal faults
// (damaged or inconsistent storage) that doors report generically and log.
var (
	// ErrNotFound is returned when an object does not exist.
	ErrNotFound = schemas.Kind("object not found", schemas.ErrNotFound)
	// ErrInvalidKey is returned for keys that are empty, absolute or escape the bucket.
	ErrInvalidKey = schemas.Kind("invalid object key", schemas.ErrInvalid)
	// ErrUnavailable is returned when the store did not answer in time or at all (an object
	// store that is down, unreachable or hung). It is a kind of schemas.ErrBusy: the same call
	// may succeed once the store is back.
	ErrUnavailable = schemas.Kind("object store unavailable", schemas.ErrBusy)
	// ErrChecksum is returned when stored bytes do not match their recorded checksum.
	ErrChecksum = errors.New("checksum mismatch")
)

var (
	// ErrSize is returned when an upload's bytes do not match its declared size.
	ErrSize = errors.New("object size mismatch")
	// ErrInvalidManifest is returned for a snapshot manifest that is malformed or inconsistent.
	ErrInvalidManifest = errors.New("invalid manifest")
	// ErrClosed is returned by a writer used after Close or Abort.
	ErrClosed = errors.New("writer closed")
)
