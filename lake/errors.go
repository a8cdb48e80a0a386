package lake

import (
	"errors"

	"github.com/cqeco/ecolake/schemas"
)

// ErrNotFound and ErrInvalidKey are kinds of the schemas roots; the others are internal faults
// (damaged or inconsistent storage) that doors report generically and log.
var (
	// ErrNotFound is returned when an object does not exist.
	ErrNotFound = schemas.Kind("object not found", schemas.ErrNotFound)
	// ErrInvalidKey is returned for keys that are empty, absolute or escape the bucket.
	ErrInvalidKey = schemas.Kind("invalid object key", schemas.ErrInvalid)
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
